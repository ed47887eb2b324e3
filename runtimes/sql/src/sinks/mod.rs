//! The sinks of the runtime: PostgreSQL and MySQL/MariaDB tables.

pub(crate) mod copy_text;
pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod rows;
