-- The tables of MeshChatX 4.10.7 (reference database_version 59) that meshchat-store
-- owns, as the reference app writes them (dumped from a database.db it created;
-- whitespace kept). IF NOT EXISTS: on a reference database every statement is a no-op.
CREATE TABLE IF NOT EXISTS config (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT UNIQUE,
                value TEXT,
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
            );
CREATE TABLE IF NOT EXISTS announces (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    aspect TEXT,
                    identity_hash TEXT,
                    identity_public_key TEXT,
                    app_data TEXT,
                    rssi INTEGER,
                    snr REAL,
                    quality REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                , announce_count INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS idx_announces_aspect ON announces(aspect);
CREATE UNIQUE INDEX IF NOT EXISTS idx_announces_destination_hash_unique ON announces(destination_hash);
CREATE INDEX IF NOT EXISTS idx_announces_identity_hash ON announces(identity_hash);
CREATE INDEX IF NOT EXISTS idx_announces_updated_at ON announces(updated_at);
CREATE TABLE IF NOT EXISTS lxmf_messages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    hash TEXT UNIQUE,
                    source_hash TEXT,
                    destination_hash TEXT,
                    peer_hash TEXT,
                    state TEXT,
                    progress REAL,
                    is_incoming INTEGER,
                    method TEXT,
                    delivery_attempts INTEGER DEFAULT 0,
                    next_delivery_attempt_at REAL,
                    title TEXT,
                    content TEXT,
                    fields TEXT,
                    fields_meta TEXT,
                    has_image INTEGER,
                    has_audio INTEGER,
                    has_files INTEGER,
                    has_reaction INTEGER,
                    has_telemetry INTEGER,
                    timestamp REAL,
                    rssi INTEGER,
                    snr REAL,
                    quality REAL,
                    is_spam INTEGER DEFAULT 0,
                    reply_to_hash TEXT,
                    path_hops_at_send INTEGER,
                    path_interface_at_send TEXT,
                    path_finding_measure TEXT,
                    path_row_hash_hex TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                , attachments_stripped INTEGER DEFAULT 0);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_conv_optim ON lxmf_messages(source_hash, destination_hash, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_destination_hash ON lxmf_messages(destination_hash);
CREATE UNIQUE INDEX IF NOT EXISTS idx_lxmf_messages_hash_unique ON lxmf_messages(hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_peer_hash ON lxmf_messages(peer_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_peer_id ON lxmf_messages(peer_hash, id DESC);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_peer_ts ON lxmf_messages(peer_hash, timestamp);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_reply_to_hash ON lxmf_messages(reply_to_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_source_hash ON lxmf_messages(source_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_state_incoming ON lxmf_messages(state, is_incoming);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_state_peer ON lxmf_messages(state, peer_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_messages_timestamp ON lxmf_messages(timestamp);
CREATE TABLE IF NOT EXISTS lxmf_conversation_summaries (
                    peer_hash TEXT PRIMARY KEY NOT NULL,
                    latest_message_id INTEGER NOT NULL,
                    latest_message_hash TEXT,
                    source_hash TEXT,
                    destination_hash TEXT,
                    state TEXT,
                    progress REAL,
                    is_incoming INTEGER,
                    title TEXT,
                    content_preview TEXT,
                    timestamp REAL,
                    is_spam INTEGER,
                    reply_to_hash TEXT,
                    created_at TEXT,
                    updated_at TEXT,
                    has_image INTEGER,
                    has_audio INTEGER,
                    has_files INTEGER,
                    has_reaction INTEGER,
                    has_telemetry INTEGER,
                    failed_count INTEGER NOT NULL DEFAULT 0
                );
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_summaries_latest_id ON lxmf_conversation_summaries(latest_message_id DESC);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_summaries_timestamp ON lxmf_conversation_summaries(timestamp DESC);
CREATE TABLE IF NOT EXISTS lxmf_conversation_read_state (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    last_read_at DATETIME,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE UNIQUE INDEX IF NOT EXISTS idx_lxmf_conversation_read_state_dest_hash_unique ON lxmf_conversation_read_state(destination_hash);
CREATE TABLE IF NOT EXISTS lxmf_conversation_pins (
                    peer_hash TEXT PRIMARY KEY NOT NULL,
                    pinned_at INTEGER NOT NULL
                );
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_pins_pinned_at ON lxmf_conversation_pins(pinned_at);
CREATE TABLE IF NOT EXISTS lxmf_folders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT UNIQUE,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS lxmf_conversation_folders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    peer_hash TEXT UNIQUE,
                    folder_id INTEGER,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    FOREIGN KEY (folder_id) REFERENCES lxmf_folders(id) ON DELETE CASCADE
                );
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_folders_folder_id ON lxmf_conversation_folders(folder_id);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_folders_peer_hash ON lxmf_conversation_folders(peer_hash);
CREATE TABLE IF NOT EXISTS favourite_destinations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    display_name TEXT,
                    aspect TEXT,
                    identify_on_connect INTEGER NOT NULL DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE INDEX IF NOT EXISTS idx_favourite_destinations_aspect ON favourite_destinations(aspect);
CREATE UNIQUE INDEX IF NOT EXISTS idx_favourite_destinations_dest_hash_unique ON favourite_destinations(destination_hash);
CREATE TABLE IF NOT EXISTS custom_destination_display_names (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    display_name TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE UNIQUE INDEX IF NOT EXISTS idx_custom_display_names_dest_hash_unique ON custom_destination_display_names(destination_hash);
CREATE TABLE IF NOT EXISTS blocked_destinations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE INDEX IF NOT EXISTS idx_blocked_destinations_hash ON blocked_destinations(destination_hash);
CREATE TABLE IF NOT EXISTS notification_viewed_state (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    last_viewed_at DATETIME,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE UNIQUE INDEX IF NOT EXISTS idx_notification_viewed_state_dest_hash_unique ON notification_viewed_state(destination_hash);
CREATE INDEX IF NOT EXISTS idx_notification_viewed_state_destination_hash ON notification_viewed_state(destination_hash);
