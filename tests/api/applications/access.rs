//! Who may do what with applications: roles, tenants, masking, documents.
