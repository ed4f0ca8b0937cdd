//! `DATABASE_URL`: which backend a URL names, and a form of it that is safe to log.

use std::path::PathBuf;

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `postgres://…` or `postgresql://…`, passed to the driver as it is.
    Postgres(String),
    /// `sqlite://path/to/file.db` (or `sqlite:path`): an embedded database file.
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                "DATABASE_URL must start with postgres://, postgresql:// or sqlite://".to_owned()
            })?;
        if path.is_empty() || path.starts_with(":memory:") {
            return Err(
                "an SQLite DATABASE_URL needs a file path (each pooled connection to :memory: \
                 would be a separate database)"
                    .to_owned(),
            );
        }
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL with any password (in the user info or a `password=` parameter) replaced,
    /// safe to log.
    pub fn redacted(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
            Self::Postgres(url) => {
                let (base, query) = url.split_once('?').unwrap_or((url, ""));
                let base = match (base.find("://"), base.rfind('@')) {
                    (Some(scheme_end), Some(at)) if at > scheme_end => {
                        let userinfo = &base[scheme_end + 3..at];
                        match userinfo.split_once(':') {
                            Some((user, _)) => {
                                format!("{}{user}:***{}", &base[..scheme_end + 3], &base[at..])
                            }
                            None => base.to_owned(),
                        }
                    }
                    _ => base.to_owned(),
                };
                if query.is_empty() {
                    return base;
                }
                let query: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                            format!("{key}=***")
                        }
                        _ => pair.to_owned(),
                    })
                    .collect();
                format!("{base}?{}", query.join("&"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_pick_their_backend() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/layer2.db"),
            Ok(DatabaseUrl::Sqlite(PathBuf::from("data/layer2.db")))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://u:p@localhost/db").map(|u| u.backend()),
            Ok(Backend::Postgres)
        );
        assert!(DatabaseUrl::parse("sqlite::memory:").is_err());
        assert!(DatabaseUrl::parse("mysql://localhost/db").is_err());
    }

    #[test]
    fn redacted_url_hides_the_password() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db.internal:5432/layer2").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db.internal:5432/layer2");
        assert!(!url.redacted().contains("s3cret"));
        let url =
            DatabaseUrl::parse("postgres://app@db/layer2?sslmode=require&password=s3cret").unwrap();
        assert_eq!(
            url.redacted(),
            "postgres://app@db/layer2?sslmode=require&password=***"
        );
    }
}
