-- The schema of MeshChatX 4.10.7 (reference database_version 59), as the reference
-- app writes it: dumped from a database.db it created (every table, index, trigger
-- and view; whitespace kept). IF NOT EXISTS: on a reference database every
-- statement is a no-op. Tables meshchat-store does not use yet are here too, so a
-- database we create is the reference's in full and the reference can open it.
CREATE TABLE IF NOT EXISTS access_attempts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    created_at REAL NOT NULL,
                    identity_hash TEXT NOT NULL,
                    client_ip TEXT NOT NULL,
                    user_agent TEXT,
                    user_agent_hash TEXT NOT NULL,
                    path TEXT NOT NULL,
                    method TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    detail TEXT
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
CREATE TABLE IF NOT EXISTS archived_pages (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT,
                    page_path TEXT,
                    content TEXT,
                    hash TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS blocked_destinations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS call_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    remote_identity_hash TEXT,
                    remote_identity_name TEXT,
                    is_incoming INTEGER,
                    status TEXT,
                    duration_seconds INTEGER,
                    timestamp REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS call_recordings (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    remote_identity_hash TEXT,
                    remote_identity_name TEXT,
                    filename_rx TEXT,
                    filename_tx TEXT,
                    duration_seconds INTEGER,
                    timestamp REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS config (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT UNIQUE,
                value TEXT,
                created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
            );
CREATE TABLE IF NOT EXISTS contacts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT,
                    remote_identity_hash TEXT UNIQUE,
                    lxmf_address TEXT,
                    lxst_address TEXT,
                    custom_image TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                , preferred_ringtone_id INTEGER DEFAULT NULL, is_telemetry_trusted INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS crash_history (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    timestamp REAL,
                    error_type TEXT,
                    error_message TEXT,
                    diagnosed_cause TEXT,
                    symptoms TEXT,
                    probability INTEGER,
                    entropy REAL,
                    divergence REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS crawl_node_stats (
                    destination_hash TEXT PRIMARY KEY,
                    pages_indexed INTEGER DEFAULT 0,
                    last_request_at DATETIME,
                    last_rtt_ms REAL,
                    last_hops INTEGER,
                    skipped_reason TEXT,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS crawl_opt_outs (
                    destination_hash TEXT PRIMARY KEY,
                    reason TEXT,
                    source TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS crawl_tasks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT,
                    page_path TEXT,
                    retry_count INTEGER DEFAULT 0,
                    last_retry_at DATETIME,
                    next_retry_at DATETIME,
                    status TEXT DEFAULT 'pending',
                    depth INTEGER DEFAULT 0,
                    priority REAL DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    UNIQUE(destination_hash, page_path)
                );
CREATE TABLE IF NOT EXISTS custom_destination_display_names (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    display_name TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS debug_logs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    timestamp REAL,
                    level TEXT,
                    module TEXT,
                    message TEXT,
                    is_anomaly INTEGER DEFAULT 0,
                    anomaly_type TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS favourite_destinations (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    display_name TEXT,
                    aspect TEXT,
                    identify_on_connect INTEGER NOT NULL DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS keyboard_shortcuts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT,
                    action TEXT,
                    keys TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    UNIQUE(identity_hash, action)
                );
CREATE TABLE IF NOT EXISTS lxmf_conversation_folders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    peer_hash TEXT UNIQUE,
                    folder_id INTEGER,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    FOREIGN KEY (folder_id) REFERENCES lxmf_folders(id) ON DELETE CASCADE
                );
CREATE TABLE IF NOT EXISTS lxmf_conversation_pins (
                    peer_hash TEXT PRIMARY KEY NOT NULL,
                    pinned_at INTEGER NOT NULL
                );
CREATE TABLE IF NOT EXISTS lxmf_conversation_read_state (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    last_read_at DATETIME,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
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
CREATE TABLE IF NOT EXISTS lxmf_folders (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT UNIQUE,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS lxmf_forwarding_mappings (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    alias_identity_private_key TEXT,
                    alias_hash TEXT UNIQUE,
                    original_sender_hash TEXT,
                    final_recipient_hash TEXT,
                    original_destination_hash TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS lxmf_forwarding_rules (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT,
                    identity_hash TEXT,
                    forward_to_hash TEXT,
                    source_filter_hash TEXT,
                    is_active INTEGER DEFAULT 1,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS lxmf_last_sent_icon_hashes (
                    destination_hash TEXT PRIMARY KEY,
                    icon_hash TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
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
CREATE TABLE IF NOT EXISTS lxmf_telemetry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT,
                    timestamp REAL,
                    data BLOB,
                    received_from TEXT,
                    physical_link TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    UNIQUE(destination_hash, timestamp)
                );
CREATE TABLE IF NOT EXISTS lxmf_user_icons (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    icon_name TEXT,
                    foreground_colour TEXT,
                    background_colour TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS map_drawings (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT,
                    name TEXT,
                    data TEXT,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS map_overlay_sources (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    destination_hash TEXT NOT NULL,
                    path_or_repo_path TEXT NOT NULL,
                    ref TEXT NOT NULL DEFAULT 'HEAD',
                    group_name TEXT,
                    repository TEXT,
                    name TEXT NOT NULL,
                    enabled INTEGER NOT NULL DEFAULT 1,
                    visible INTEGER NOT NULL DEFAULT 1,
                    refresh_interval_seconds INTEGER NOT NULL DEFAULT 0,
                    status TEXT NOT NULL DEFAULT 'pending',
                    last_error TEXT,
                    last_fetched_at DATETIME,
                    next_refresh_at DATETIME,
                    content_sha256 TEXT,
                    resolved_ref TEXT,
                    format TEXT,
                    byte_size INTEGER,
                    cache_relpath TEXT,
                    job_id TEXT,
                    generation INTEGER NOT NULL DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    UNIQUE(identity_hash, kind, destination_hash, path_or_repo_path, ref)
                );
CREATE TABLE IF NOT EXISTS map_published (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT NOT NULL,
                    map_id TEXT NOT NULL,
                    name TEXT NOT NULL,
                    format TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    sha256 TEXT NOT NULL,
                    bbox TEXT,
                    feature_count INTEGER NOT NULL DEFAULT 0,
                    path TEXT NOT NULL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    UNIQUE(identity_hash, map_id)
                );
CREATE TABLE IF NOT EXISTS notification_sounds (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    filename TEXT,
                    display_name TEXT,
                    storage_filename TEXT,
                    is_primary INTEGER DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS notification_viewed_state (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    last_viewed_at DATETIME,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS notifications (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    type TEXT,
                    remote_hash TEXT,
                    title TEXT,
                    content TEXT,
                    is_viewed INTEGER DEFAULT 0,
                    timestamp REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS ringtones (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    filename TEXT,
                    display_name TEXT,
                    storage_filename TEXT,
                    is_primary INTEGER DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS rrc_room_keys (
                    hub_hash TEXT NOT NULL,
                    dest_name TEXT NOT NULL,
                    room TEXT NOT NULL,
                    nonce BLOB NOT NULL,
                    ciphertext BLOB NOT NULL,
                    updated_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
                    PRIMARY KEY (hub_hash, dest_name, room)
                );
CREATE TABLE IF NOT EXISTS spam_keywords (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    keyword TEXT UNIQUE,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS telemetry_tracking (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    destination_hash TEXT UNIQUE,
                    is_tracking INTEGER DEFAULT 1,
                    interval_seconds INTEGER DEFAULT 60,
                    last_request_at REAL,
                    unanswered_count INTEGER DEFAULT 0,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
                    updated_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE TABLE IF NOT EXISTS trusted_login_clients (
                    identity_hash TEXT NOT NULL,
                    client_ip TEXT NOT NULL,
                    user_agent_hash TEXT NOT NULL,
                    last_success_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    PRIMARY KEY (identity_hash, client_ip, user_agent_hash)
                );
CREATE TABLE IF NOT EXISTS user_gifs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT NOT NULL,
                    name TEXT,
                    image_type TEXT NOT NULL,
                    image_blob BLOB NOT NULL,
                    content_hash TEXT NOT NULL,
                    source_message_hash TEXT,
                    usage_count INTEGER NOT NULL DEFAULT 0,
                    last_used_at REAL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL,
                    UNIQUE(identity_hash, content_hash)
                );
CREATE TABLE IF NOT EXISTS user_sticker_packs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT NOT NULL,
                    title TEXT NOT NULL,
                    short_name TEXT,
                    description TEXT,
                    pack_type TEXT NOT NULL DEFAULT 'mixed',
                    author TEXT,
                    is_strict INTEGER NOT NULL DEFAULT 1,
                    cover_sticker_id INTEGER,
                    sort_order INTEGER NOT NULL DEFAULT 0,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                );
CREATE TABLE IF NOT EXISTS user_stickers (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    identity_hash TEXT NOT NULL,
                    name TEXT,
                    image_type TEXT NOT NULL,
                    image_blob BLOB NOT NULL,
                    content_hash TEXT NOT NULL,
                    source_message_hash TEXT,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL, pack_id INTEGER, emoji TEXT, width INTEGER, height INTEGER, duration_ms INTEGER, fps REAL, is_animated INTEGER NOT NULL DEFAULT 0, is_video INTEGER NOT NULL DEFAULT 0, is_strict INTEGER NOT NULL DEFAULT 0, sort_order INTEGER NOT NULL DEFAULT 0,
                    UNIQUE(identity_hash, content_hash)
                );
CREATE TABLE IF NOT EXISTS voicemails (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    remote_identity_hash TEXT,
                    remote_identity_name TEXT,
                    filename TEXT,
                    duration_seconds INTEGER,
                    is_read INTEGER DEFAULT 0,
                    timestamp REAL,
                    created_at DATETIME DEFAULT CURRENT_TIMESTAMP
                );
CREATE INDEX IF NOT EXISTS idx_access_attempts_created ON access_attempts(created_at);
CREATE INDEX IF NOT EXISTS idx_access_attempts_identity_time ON access_attempts(identity_hash, created_at);
CREATE INDEX IF NOT EXISTS idx_access_attempts_ip_time ON access_attempts(client_ip, created_at);
CREATE INDEX IF NOT EXISTS idx_announces_aspect ON announces(aspect);
CREATE UNIQUE INDEX IF NOT EXISTS idx_announces_destination_hash_unique ON announces(destination_hash);
CREATE INDEX IF NOT EXISTS idx_announces_identity_hash ON announces(identity_hash);
CREATE INDEX IF NOT EXISTS idx_announces_updated_at ON announces(updated_at);
CREATE INDEX IF NOT EXISTS idx_archived_pages_created_at ON archived_pages(created_at);
CREATE INDEX IF NOT EXISTS idx_archived_pages_dest_path ON archived_pages(destination_hash, page_path);
CREATE INDEX IF NOT EXISTS idx_archived_pages_destination_hash ON archived_pages(destination_hash);
CREATE INDEX IF NOT EXISTS idx_archived_pages_hash ON archived_pages(hash);
CREATE INDEX IF NOT EXISTS idx_archived_pages_page_path ON archived_pages(page_path);
CREATE INDEX IF NOT EXISTS idx_blocked_destinations_hash ON blocked_destinations(destination_hash);
CREATE INDEX IF NOT EXISTS idx_call_history_remote_hash ON call_history(remote_identity_hash);
CREATE INDEX IF NOT EXISTS idx_call_history_remote_name ON call_history(remote_identity_name);
CREATE INDEX IF NOT EXISTS idx_call_history_timestamp ON call_history(timestamp);
CREATE INDEX IF NOT EXISTS idx_call_recordings_remote_hash ON call_recordings(remote_identity_hash);
CREATE INDEX IF NOT EXISTS idx_call_recordings_timestamp ON call_recordings(timestamp);
CREATE INDEX IF NOT EXISTS idx_contacts_lxmf_address ON contacts(lxmf_address);
CREATE INDEX IF NOT EXISTS idx_contacts_lxst_address ON contacts(lxst_address);
CREATE INDEX IF NOT EXISTS idx_contacts_name ON contacts(name);
CREATE INDEX IF NOT EXISTS idx_contacts_remote_identity_hash ON contacts(remote_identity_hash);
CREATE INDEX IF NOT EXISTS idx_crash_history_timestamp ON crash_history(timestamp);
CREATE INDEX IF NOT EXISTS idx_crawl_tasks_destination_hash ON crawl_tasks(destination_hash);
CREATE UNIQUE INDEX IF NOT EXISTS idx_crawl_tasks_destination_path_unique ON crawl_tasks(destination_hash, page_path);
CREATE INDEX IF NOT EXISTS idx_crawl_tasks_page_path ON crawl_tasks(page_path);
CREATE INDEX IF NOT EXISTS idx_crawl_tasks_priority ON crawl_tasks(status, priority, next_retry_at);
CREATE UNIQUE INDEX IF NOT EXISTS idx_custom_display_names_dest_hash_unique ON custom_destination_display_names(destination_hash);
CREATE INDEX IF NOT EXISTS idx_debug_logs_anomaly ON debug_logs(is_anomaly);
CREATE INDEX IF NOT EXISTS idx_debug_logs_level ON debug_logs(level);
CREATE INDEX IF NOT EXISTS idx_debug_logs_timestamp ON debug_logs(timestamp);
CREATE INDEX IF NOT EXISTS idx_favourite_destinations_aspect ON favourite_destinations(aspect);
CREATE UNIQUE INDEX IF NOT EXISTS idx_favourite_destinations_dest_hash_unique ON favourite_destinations(destination_hash);
CREATE INDEX IF NOT EXISTS idx_keyboard_shortcuts_identity_hash ON keyboard_shortcuts(identity_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_folders_folder_id ON lxmf_conversation_folders(folder_id);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_folders_peer_hash ON lxmf_conversation_folders(peer_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_pins_pinned_at ON lxmf_conversation_pins(pinned_at);
CREATE UNIQUE INDEX IF NOT EXISTS idx_lxmf_conversation_read_state_dest_hash_unique ON lxmf_conversation_read_state(destination_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_summaries_latest_id ON lxmf_conversation_summaries(latest_message_id DESC);
CREATE INDEX IF NOT EXISTS idx_lxmf_conversation_summaries_timestamp ON lxmf_conversation_summaries(timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_lxmf_forwarding_mappings_alias_hash ON lxmf_forwarding_mappings(alias_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_forwarding_mappings_recipient_hash ON lxmf_forwarding_mappings(final_recipient_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_forwarding_mappings_sender_hash ON lxmf_forwarding_mappings(original_sender_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_forwarding_rules_identity_hash ON lxmf_forwarding_rules(identity_hash);
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
CREATE UNIQUE INDEX IF NOT EXISTS idx_lxmf_telemetry_dest_ts_unique ON lxmf_telemetry(destination_hash, timestamp);
CREATE INDEX IF NOT EXISTS idx_lxmf_telemetry_destination_hash ON lxmf_telemetry(destination_hash);
CREATE INDEX IF NOT EXISTS idx_lxmf_telemetry_timestamp ON lxmf_telemetry(timestamp);
CREATE UNIQUE INDEX IF NOT EXISTS idx_lxmf_user_icons_dest_hash_unique ON lxmf_user_icons(destination_hash);
CREATE INDEX IF NOT EXISTS idx_map_drawings_identity_hash ON map_drawings(identity_hash);
CREATE INDEX IF NOT EXISTS idx_map_drawings_identity_name ON map_drawings(identity_hash, name);
CREATE INDEX IF NOT EXISTS idx_map_overlay_sources_identity ON map_overlay_sources(identity_hash);
CREATE INDEX IF NOT EXISTS idx_map_overlay_sources_refresh ON map_overlay_sources(enabled, next_refresh_at);
CREATE INDEX IF NOT EXISTS idx_map_published_identity ON map_published(identity_hash);
CREATE UNIQUE INDEX IF NOT EXISTS idx_map_published_identity_map ON map_published(identity_hash, map_id);
CREATE UNIQUE INDEX IF NOT EXISTS idx_notification_viewed_state_dest_hash_unique ON notification_viewed_state(destination_hash);
CREATE INDEX IF NOT EXISTS idx_notification_viewed_state_destination_hash ON notification_viewed_state(destination_hash);
CREATE INDEX IF NOT EXISTS idx_notifications_is_viewed ON notifications(is_viewed);
CREATE INDEX IF NOT EXISTS idx_notifications_remote_hash ON notifications(remote_hash);
CREATE INDEX IF NOT EXISTS idx_notifications_timestamp ON notifications(timestamp);
CREATE INDEX IF NOT EXISTS idx_rrc_room_keys_hub ON rrc_room_keys(hub_hash, dest_name);
CREATE INDEX IF NOT EXISTS idx_spam_keywords_keyword ON spam_keywords(keyword);
CREATE INDEX IF NOT EXISTS idx_trusted_login_identity ON trusted_login_clients(identity_hash);
CREATE INDEX IF NOT EXISTS idx_user_gifs_identity ON user_gifs(identity_hash);
CREATE INDEX IF NOT EXISTS idx_user_gifs_identity_usage ON user_gifs(identity_hash, usage_count, last_used_at);
CREATE INDEX IF NOT EXISTS idx_user_sticker_packs_identity ON user_sticker_packs(identity_hash, sort_order);
CREATE UNIQUE INDEX IF NOT EXISTS idx_user_sticker_packs_short_name ON user_sticker_packs(identity_hash, short_name) WHERE short_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_user_stickers_identity ON user_stickers(identity_hash);
CREATE INDEX IF NOT EXISTS idx_user_stickers_identity_updated ON user_stickers(identity_hash, updated_at);
CREATE INDEX IF NOT EXISTS idx_user_stickers_pack ON user_stickers(pack_id, sort_order);
CREATE INDEX IF NOT EXISTS idx_voicemails_is_read ON voicemails(is_read);
CREATE INDEX IF NOT EXISTS idx_voicemails_remote_hash ON voicemails(remote_identity_hash);
CREATE INDEX IF NOT EXISTS idx_voicemails_timestamp ON voicemails(timestamp);
