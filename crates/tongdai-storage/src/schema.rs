//! The one schema both backends share. Written by hand to match
//! `migrations/{sqlite,postgres}`: UUIDs and JSON are text, instants are UTC timestamps,
//! so the same diesel code runs on SQLite and PostgreSQL.

diesel::table! {
    jurisdiction_loads (id) {
        id -> Text,
        jurisdiction_code -> Text,
        source -> Text,
        loaded_at -> Timestamp,
        areas -> Integer,
        agencies -> Integer,
        categories -> Integer,
        rules -> Integer,
        generation -> Nullable<BigInt>,
        digest -> Nullable<Text>,
        snapshot -> Nullable<Text>,
    }
}

diesel::table! {
    areas (code) {
        code -> Text,
        name -> Text,
        full_name -> Text,
        search_key -> Text,
        level -> Text,
        kind -> Text,
        parent_code -> Nullable<Text>,
        aliases -> Text,
        boundary -> Nullable<Text>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        basis -> Nullable<Text>,
        confirmed -> Bool,
    }
}

diesel::table! {
    area_successions (successor_code, predecessor_code) {
        successor_code -> Text,
        predecessor_code -> Text,
        effective -> Date,
        partial -> Bool,
        basis -> Nullable<Text>,
        confirmed -> Bool,
    }
}

diesel::table! {
    agencies (code) {
        code -> Text,
        name -> Text,
        kind -> Text,
        area_code -> Nullable<Text>,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        basis -> Nullable<Text>,
        confirmed -> Bool,
    }
}

diesel::table! {
    categories (code) {
        code -> Text,
        name -> Text,
        parent_code -> Nullable<Text>,
        description -> Nullable<Text>,
        attributes -> Text,
        position -> Integer,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        basis -> Nullable<Text>,
        confirmed -> Bool,
    }
}

diesel::table! {
    routing_rules (id) {
        id -> Text,
        category_code -> Nullable<Text>,
        area_code -> Nullable<Text>,
        agency_code -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        basis -> Nullable<Text>,
        confirmed -> Bool,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Text,
        display_name -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        agency_code -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_roles (user_id, role) {
        user_id -> Text,
        role -> Text,
    }
}

diesel::table! {
    tickets (id) {
        id -> Text,
        code -> Text,
        channel -> Text,
        status -> Text,
        priority -> Text,
        category_code -> Text,
        area_code -> Nullable<Text>,
        address -> Nullable<Text>,
        latitude -> Nullable<Double>,
        longitude -> Nullable<Double>,
        title -> Text,
        description -> Text,
        agency_code -> Nullable<Text>,
        reporter_name -> Nullable<Text>,
        reporter_phone -> Nullable<Text>,
        reporter_email -> Nullable<Text>,
        reporter_subject -> Nullable<Text>,
        consent_at -> Nullable<Timestamp>,
        routing_decision -> Nullable<Text>,
        forward_due_at -> Nullable<Timestamp>,
        accept_due_at -> Nullable<Timestamp>,
        answer_due_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        closed_at -> Nullable<Timestamp>,
        attributes -> Text,
        submitted_by -> Nullable<Text>,
        version -> BigInt,
        answer_paused_at -> Nullable<Timestamp>,
        pending_extension_until -> Nullable<Timestamp>,
        published_at -> Nullable<Timestamp>,
        search_text -> Text,
    }
}

diesel::table! {
    idempotency_keys (scope, idempotency_key) {
        scope -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        ticket_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_keys (id) {
        id -> Text,
        name -> Text,
        key_prefix -> Text,
        key_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    ticket_events (id) {
        id -> Text,
        ticket_id -> Text,
        seq -> Integer,
        kind -> Text,
        actor_kind -> Text,
        actor_ref -> Nullable<Text>,
        occurred_at -> Timestamp,
        visibility -> Text,
        payload -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Text,
        ticket_id -> Text,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        storage_path -> Text,
        visibility -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        topic -> Text,
        ticket_id -> Nullable<Text>,
        payload -> Text,
        created_at -> Timestamp,
        available_at -> Timestamp,
        attempts -> Integer,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        dead_at -> Nullable<Timestamp>,
        message_id -> Nullable<Text>,
        recipient -> Nullable<Text>,
        note -> Nullable<Text>,
        last_attempt_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    overdue_reports (period) {
        period -> Text,
        period_from -> Timestamp,
        period_to -> Timestamp,
        generated_at -> Timestamp,
        definitions -> Text,
        checksum -> Text,
        body -> Text,
    }
}

diesel::table! {
    report_deliveries (id) {
        id -> Text,
        period -> Text,
        channel -> Text,
        target -> Text,
        attempt -> Integer,
        attempted_at -> Timestamp,
        succeeded -> Bool,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    import_runs (id) {
        id -> Text,
        file_sha256 -> Text,
        format -> Text,
        started_at -> Timestamp,
        finished_at -> Nullable<Timestamp>,
        lines_done -> BigInt,
        imported -> BigInt,
        skipped -> BigInt,
        rejected -> BigInt,
    }
}

diesel::table! {
    mailbox_state (mailbox) {
        mailbox -> Text,
        uid_validity -> Nullable<BigInt>,
        last_uid -> BigInt,
        polled_at -> Nullable<Timestamp>,
        lease_holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    inbound_mail (id) {
        id -> Text,
        mailbox -> Text,
        message_id -> Text,
        uid_validity -> Nullable<BigInt>,
        uid -> Nullable<BigInt>,
        received_at -> Timestamp,
        sender -> Nullable<Text>,
        subject -> Text,
        size_bytes -> BigInt,
        outcome -> Text,
        reason -> Nullable<Text>,
        ticket_id -> Nullable<Text>,
        original_text -> Nullable<Text>,
        dropped_attachments -> Text,
    }
}

diesel::table! {
    mail_address_status (address) {
        address -> Text,
        first_bounce_at -> Timestamp,
        last_bounce_at -> Timestamp,
        bounces -> Integer,
        last_message_id -> Nullable<Text>,
        cleared_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(agencies -> areas (area_code));
diesel::joinable!(report_deliveries -> overdue_reports (period));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(ticket_events -> tickets (ticket_id));
diesel::joinable!(attachments -> tickets (ticket_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(idempotency_keys -> tickets (ticket_id));
diesel::joinable!(inbound_mail -> tickets (ticket_id));

diesel::allow_tables_to_appear_in_same_query!(
    jurisdiction_loads,
    areas,
    area_successions,
    agencies,
    categories,
    routing_rules,
    users,
    user_roles,
    tickets,
    ticket_events,
    attachments,
    outbox,
    idempotency_keys,
    api_keys,
    refresh_tokens,
    overdue_reports,
    report_deliveries,
    import_runs,
    mailbox_state,
    inbound_mail,
    mail_address_status,
    server_secrets,
);
