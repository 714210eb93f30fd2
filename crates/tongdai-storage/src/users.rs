//! Staff users (hotline operators, IOC staff, agency clerks) and their roles.
