//! The portal's CSRF protection: the signed double submit of [`tongdai_http::csrf`], shared
//! with the staff console, re-exported here so the portal's modules keep their paths.

pub use tongdai_http::csrf::*;
