DROP TABLE access_token_customers;
DROP TABLE access_tokens;
