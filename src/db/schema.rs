//! The tables, written once for both backends with the portable types of `db::types`.
//! Kept by hand (print-schema would emit backend-specific types); migrations are the source.

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    clients (id) {
        id -> PortableUuid,
        name -> Text,
        environment -> Text,
        regulated -> Bool,
        created_at -> PortableTimestamp,
        clock_offset_ms -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    api_keys (id) {
        id -> PortableUuid,
        client_id -> Nullable<PortableUuid>,
        role -> Text,
        prefix -> Text,
        secret_hash -> Text,
        label -> Nullable<Text>,
        created_at -> PortableTimestamp,
        revoked_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    access_tokens (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        api_key_id -> PortableUuid,
        prefix -> Text,
        secret_hash -> Text,
        label -> Nullable<Text>,
        scopes -> Text,
        restricted -> Bool,
        created_at -> PortableTimestamp,
        expires_at -> PortableTimestamp,
        revoked_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::PortableUuid;

    access_token_customers (token_id, customer_external_id) {
        token_id -> PortableUuid,
        client_id -> PortableUuid,
        customer_external_id -> Text,
    }
}

diesel::table! {
    asset_types (id) {
        id -> Text,
        decimals -> Integer,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableDate, PortableTimestamp, PortableUuid};

    customers (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        external_id -> Text,
        customer_type -> Text,
        status -> Text,
        first_name -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        date_of_birth -> Nullable<PortableDate>,
        nationality -> Nullable<Text>,
        tax_reference_number -> Nullable<Text>,
        passport_number -> Nullable<Text>,
        us_residency_status -> Nullable<Text>,
        employment_status -> Nullable<Text>,
        employment_description -> Nullable<Text>,
        employer_name -> Nullable<Text>,
        occupation -> Nullable<Text>,
        mailing_address -> Nullable<Text>,
        registered_name -> Nullable<Text>,
        trading_name -> Nullable<Text>,
        registered_number -> Nullable<Text>,
        registered_address -> Nullable<Text>,
        physical_address -> Nullable<Text>,
        website_address -> Nullable<Text>,
        state_of_incorporation -> Nullable<Text>,
        country_of_incorporation -> Nullable<Text>,
        corporate_entity_type -> Nullable<Text>,
        corporate_entity_type_description -> Nullable<Text>,
        established_on -> Nullable<PortableDate>,
        naics -> Nullable<Text>,
        naics_description -> Nullable<Text>,
        email_address -> Nullable<Text>,
        telephone_number -> Nullable<Text>,
        accredited_investor -> Bool,
        search_text -> Text,
        version -> BigInt,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        last_activity_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableDate, PortableTimestamp, PortableUuid};

    customer_individuals (id) {
        id -> PortableUuid,
        customer_id -> PortableUuid,
        client_id -> PortableUuid,
        individual_type -> Text,
        title -> Nullable<Text>,
        ownership_bp -> Nullable<Integer>,
        first_name -> Text,
        middle_name -> Nullable<Text>,
        last_name -> Text,
        email_address -> Nullable<Text>,
        telephone_number -> Nullable<Text>,
        mailing_address -> Nullable<Text>,
        tax_reference_number -> Nullable<Text>,
        passport_number -> Nullable<Text>,
        nationality -> Nullable<Text>,
        date_of_birth -> Nullable<PortableDate>,
        us_residency_status -> Nullable<Text>,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    customer_change_log (id) {
        id -> PortableUuid,
        customer_id -> PortableUuid,
        client_id -> PortableUuid,
        version -> BigInt,
        changed_fields -> Text,
        reason -> Text,
        updated_by -> Text,
        actor -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    customer_status_history (id) {
        id -> PortableUuid,
        customer_id -> PortableUuid,
        client_id -> PortableUuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        reason -> Text,
        updated_by -> Text,
        actor -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    applications (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        customer_external_id -> Text,
        application_type -> Text,
        status -> Text,
        customer_details -> Text,
        individuals -> Text,
        account_id -> Nullable<Text>,
        product_id -> Nullable<Text>,
        asset_type_id -> Nullable<Text>,
        terms_and_conditions_accepted -> Bool,
        change_requests -> Text,
        customer_id -> Nullable<PortableUuid>,
        decision_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        submitted_at -> Nullable<PortableTimestamp>,
        decided_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    application_status_history (id) {
        id -> PortableUuid,
        application_id -> PortableUuid,
        client_id -> PortableUuid,
        from_status -> Nullable<Text>,
        to_status -> Text,
        actor -> Text,
        reason -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    application_documents (id) {
        id -> PortableUuid,
        application_id -> PortableUuid,
        client_id -> PortableUuid,
        individual_id -> Nullable<PortableUuid>,
        document_type -> Text,
        status -> Text,
        review_note -> Nullable<Text>,
        file_name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        uploaded_at -> PortableTimestamp,
        reviewed_at -> Nullable<PortableTimestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::PortableUuid;

    application_document_chunks (document_id, seq) {
        document_id -> PortableUuid,
        seq -> BigInt,
        bytes -> Binary,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    accounts (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        customer_id -> PortableUuid,
        external_id -> Text,
        product_id -> Text,
        asset_type_id -> Text,
        status -> Text,
        current_balance -> BigInt,
        available_balance -> BigInt,
        is_default -> Bool,
        version -> BigInt,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        closed_at -> Nullable<PortableTimestamp>,
        frozen_from -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    payors (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        customer_id -> PortableUuid,
        external_id -> Text,
        first_name -> Nullable<Text>,
        middle_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        company_name -> Nullable<Text>,
        email_address -> Nullable<Text>,
        phone_number -> Nullable<Text>,
        state -> Nullable<Text>,
        country_code -> Text,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    account_status_history (id) {
        id -> PortableUuid,
        account_id -> PortableUuid,
        client_id -> PortableUuid,
        from_status -> Text,
        to_status -> Text,
        reason -> Text,
        updated_by -> Text,
        actor -> Text,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    payment_addresses (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        account_id -> PortableUuid,
        payor_id -> PortableUuid,
        wallet_address -> Text,
        asset_type_id -> Text,
        payment_reference -> Text,
        expected_amount -> Nullable<BigInt>,
        lease_enforced -> Bool,
        lease_end_date -> Nullable<PortableTimestamp>,
        lease_transaction_limit -> Nullable<BigInt>,
        lease_value_limit -> Nullable<BigInt>,
        transactions_received -> BigInt,
        value_received -> BigInt,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    account_payors (account_id, payor_id) {
        account_id -> PortableUuid,
        payor_id -> PortableUuid,
        client_id -> PortableUuid,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    transfers (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        source_account_id -> PortableUuid,
        destination_account_id -> PortableUuid,
        asset_type_id -> Text,
        amount -> BigInt,
        description -> Nullable<Text>,
        status -> Text,
        valid_until -> PortableTimestamp,
        rejection_reason -> Nullable<Text>,
        version -> BigInt,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    account_transactions (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        account_id -> PortableUuid,
        transaction_type -> Text,
        category_type -> Text,
        status -> Text,
        value -> BigInt,
        description -> Nullable<Text>,
        payor_id -> Nullable<PortableUuid>,
        payment_reference -> Nullable<Text>,
        address_id -> Nullable<PortableUuid>,
        transfer_id -> Nullable<PortableUuid>,
        transaction_date -> PortableTimestamp,
        posted_at -> Nullable<PortableTimestamp>,
        version -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    ledger_entries (id) {
        id -> PortableUuid,
        posting_id -> PortableUuid,
        client_id -> PortableUuid,
        transaction_id -> PortableUuid,
        account_id -> Nullable<PortableUuid>,
        asset_type_id -> Text,
        bucket -> Text,
        amount -> BigInt,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    idempotency_keys (client_id, issuer, idempotency_key) {
        client_id -> PortableUuid,
        issuer -> Text,
        idempotency_key -> Text,
        operation -> Text,
        request_hash -> Text,
        result_id -> PortableUuid,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::PortableUuid;

    event_sequences (client_id) {
        client_id -> PortableUuid,
        last_sequence -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    events (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        sequence -> Nullable<BigInt>,
        event_type -> Text,
        occurred_at -> PortableTimestamp,
        subject_kind -> Text,
        subject_id -> PortableUuid,
        customer_ref -> Nullable<Text>,
        account_ref -> Nullable<Text>,
        changes -> Text,
        actor -> Text,
        reason -> Nullable<Text>,
        request_id -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    webhook_subscriptions (id) {
        id -> PortableUuid,
        client_id -> PortableUuid,
        url -> Text,
        event_types -> Text,
        description -> Nullable<Text>,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        secret -> Text,
        previous_secret -> Nullable<Text>,
        previous_secret_until -> Nullable<PortableTimestamp>,
        event_cursor -> BigInt,
        created_at -> PortableTimestamp,
        updated_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    webhook_messages (id) {
        id -> PortableUuid,
        subscription_id -> PortableUuid,
        client_id -> PortableUuid,
        event_id -> PortableUuid,
        sequence -> BigInt,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> PortableTimestamp,
        lease_until -> Nullable<PortableTimestamp>,
        first_attempt_at -> Nullable<PortableTimestamp>,
        created_at -> PortableTimestamp,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::db::types::{PortableTimestamp, PortableUuid};

    webhook_attempts (id) {
        id -> PortableUuid,
        message_id -> PortableUuid,
        subscription_id -> PortableUuid,
        client_id -> PortableUuid,
        event_id -> PortableUuid,
        attempt -> BigInt,
        attempted_at -> PortableTimestamp,
        outcome -> Text,
        response_status -> Nullable<BigInt>,
        latency_ms -> BigInt,
        response_body -> Nullable<Text>,
        error -> Nullable<Text>,
        next_attempt_at -> Nullable<PortableTimestamp>,
    }
}

diesel::joinable!(api_keys -> clients (client_id));
diesel::joinable!(access_tokens -> clients (client_id));
diesel::joinable!(access_tokens -> api_keys (api_key_id));
diesel::joinable!(access_token_customers -> access_tokens (token_id));
diesel::joinable!(customers -> clients (client_id));
diesel::joinable!(customer_status_history -> customers (customer_id));
diesel::joinable!(customer_individuals -> customers (customer_id));
diesel::joinable!(customer_change_log -> customers (customer_id));
diesel::joinable!(applications -> clients (client_id));
diesel::joinable!(application_status_history -> applications (application_id));
diesel::joinable!(application_documents -> applications (application_id));
diesel::joinable!(application_document_chunks -> application_documents (document_id));
diesel::joinable!(accounts -> customers (customer_id));
diesel::joinable!(accounts -> asset_types (asset_type_id));
diesel::joinable!(payors -> customers (customer_id));
diesel::joinable!(account_status_history -> accounts (account_id));
diesel::joinable!(payment_addresses -> accounts (account_id));
diesel::joinable!(payment_addresses -> payors (payor_id));
diesel::joinable!(account_payors -> accounts (account_id));
diesel::joinable!(account_payors -> payors (payor_id));
diesel::joinable!(account_transactions -> accounts (account_id));
diesel::joinable!(ledger_entries -> account_transactions (transaction_id));
diesel::joinable!(webhook_messages -> webhook_subscriptions (subscription_id));
diesel::joinable!(webhook_messages -> events (event_id));

diesel::allow_tables_to_appear_in_same_query!(
    clients,
    api_keys,
    access_tokens,
    access_token_customers,
    asset_types,
    customers,
    customer_status_history,
    customer_individuals,
    customer_change_log,
    applications,
    application_status_history,
    application_documents,
    application_document_chunks,
    accounts,
    payors,
    account_status_history,
    payment_addresses,
    account_payors,
    transfers,
    account_transactions,
    ledger_entries,
    idempotency_keys,
    event_sequences,
    events,
    webhook_subscriptions,
    webhook_messages,
    webhook_attempts,
);
