DROP TABLE payors;
DROP TABLE accounts;
DROP TABLE applications;
DROP TABLE customer_status_history;
DROP TABLE customers;
DROP TABLE asset_types;
DROP TABLE api_keys;
DROP TABLE clients;
