//! Shared instance: placeholder until stage 2.
