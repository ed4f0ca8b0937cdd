//! Content negotiation: the media type a response is sent in, from the request's `Accept`
//! headers (RFC 9110 §12.5.1).

use actix_web::http::header::{ACCEPT, HeaderMap};

use super::Media;

/// The media type to answer a request in, from its `Accept` headers; `None` when they accept
/// neither of ours (the caller answers [`not_acceptable`] without executing anything).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let values: Vec<String> = headers
        .get_all(ACCEPT)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    negotiate_accept(values.iter().map(String::as_str))
}

/// [`negotiate`] over the values of the `Accept` headers (RFC 9110 §12.5.1): the candidate
/// with the highest weight wins, each weighed by the most specific range that matches it.
/// At equal weight a type the client names beats a wildcard, and of two named types the
/// GraphQL response type wins; a wildcard alone (`*/*`, `application/*`) means JSON. A range
/// with a charset other than UTF-8 matches nothing; malformed ranges are ignored; no header,
/// or only empty ones, means JSON.
pub fn negotiate_accept<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<Media> {
    let elements: Vec<&str> = values
        .into_iter()
        .flat_map(|value| split_outside_quotes(value, ','))
        .map(str::trim)
        .filter(|element| !element.is_empty())
        .collect();
    if elements.is_empty() {
        return Some(Media::Json);
    }
    let ranges: Vec<MediaRange> = elements.into_iter().filter_map(MediaRange::parse).collect();
    let weigh = |media: Media| {
        ranges
            .iter()
            .filter_map(|range| range.specificity(media).map(|s| (s, range.weight)))
            // The most specific match decides; of equally specific ones the heaviest.
            .max()
            .filter(|&(_, weight)| weight > 0)
    };
    match (weigh(Media::GraphqlResponseJson), weigh(Media::Json)) {
        (None, None) => None,
        (Some(_), None) => Some(Media::GraphqlResponseJson),
        (None, Some(_)) => Some(Media::Json),
        (Some((gs, gw)), Some((js, jw))) => Some(match gw.cmp(&jw).then(gs.cmp(&js)) {
            std::cmp::Ordering::Greater => Media::GraphqlResponseJson,
            std::cmp::Ordering::Less => Media::Json,
            std::cmp::Ordering::Equal if gs >= Specificity::Subtype => Media::GraphqlResponseJson,
            std::cmp::Ordering::Equal => Media::Json,
        }),
    }
}

/// How precisely a range names a media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Specificity {
    Any,
    Type,
    Subtype,
    SubtypeWithParameters,
}

/// One element of an `Accept` header (a `Content-Type` reads the same way).
#[derive(Debug)]
pub(super) struct MediaRange {
    /// `None` for `*`.
    pub(super) type_: Option<String>,
    pub(super) subtype: Option<String>,
    /// Whether it names parameters besides the weight (they make it more specific).
    parameters: bool,
    /// Whether its charset, if any, is UTF-8 (the only one we send).
    pub(super) utf8: bool,
    /// The weight in thousandths (`q=0.5` is 500).
    pub(super) weight: u16,
}

impl MediaRange {
    pub(super) fn parse(element: &str) -> Option<Self> {
        let mut parts = split_outside_quotes(element, ';').into_iter();
        let (type_, subtype) = parts.next()?.trim().split_once('/')?;
        let (type_, subtype) = (type_.trim(), subtype.trim());
        if !is_token(type_) || !is_token(subtype) || (type_ == "*" && subtype != "*") {
            return None;
        }
        let wildcard = |s: &str| (s != "*").then(|| s.to_ascii_lowercase());
        let mut range = Self {
            type_: wildcard(type_),
            subtype: wildcard(subtype),
            parameters: false,
            utf8: true,
            weight: 1000,
        };
        for parameter in parts {
            let parameter = parameter.trim();
            if parameter.is_empty() {
                continue;
            }
            let (name, value) = parameter.split_once('=')?;
            let (name, value) = (name.trim(), unquote(value.trim())?);
            if !is_token(name) {
                return None;
            }
            if name.eq_ignore_ascii_case("q") {
                range.weight = parse_weight(&value)?;
            } else {
                range.parameters = true;
                if name.eq_ignore_ascii_case("charset") {
                    range.utf8 = value.eq_ignore_ascii_case("utf-8");
                }
            }
        }
        Some(range)
    }

    /// How specifically this range matches `media`, if it does.
    fn specificity(&self, media: Media) -> Option<Specificity> {
        if !self.utf8 {
            return None;
        }
        match (self.type_.as_deref(), self.subtype.as_deref()) {
            (None, _) => Some(Specificity::Any),
            (Some("application"), None) => Some(Specificity::Type),
            (Some("application"), Some(subtype)) if subtype == media.subtype() => {
                Some(if self.parameters {
                    Specificity::SubtypeWithParameters
                } else {
                    Specificity::Subtype
                })
            }
            _ => None,
        }
    }
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`, in thousandths.
fn parse_weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths: u16 = format!("{fraction:0<3}").parse().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// RFC 9110 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// A parameter value: a token, or a quoted string without its quotes and escapes.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return is_token(value).then(|| value.to_owned());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?),
            '"' => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// Splits on `separator` except inside quoted strings.
fn split_outside_quotes(s: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == separator && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(values: &[&str]) -> Option<Media> {
        negotiate_accept(values.iter().copied())
    }

    const GRJ: Option<Media> = Some(Media::GraphqlResponseJson);
    const JSON: Option<Media> = Some(Media::Json);

    #[test]
    fn no_accept_header_or_an_empty_one_means_json() {
        assert_eq!(accept(&[]), JSON);
        assert_eq!(accept(&[""]), JSON);
        assert_eq!(accept(&[" , ,"]), JSON);
    }

    #[test]
    fn the_graphql_response_type_is_preferred_when_named() {
        assert_eq!(accept(&["application/graphql-response+json"]), GRJ);
        assert_eq!(accept(&["Application/GraphQL-Response+JSON"]), GRJ);
        // What the spec recommends clients send, and what graphql-http's client sends.
        assert_eq!(
            accept(&["application/graphql-response+json, application/json;q=0.9"]),
            GRJ
        );
        assert_eq!(
            accept(&["application/graphql-response+json, application/json, multipart/mixed"]),
            GRJ
        );
        // Order does not matter at equal weight; both named: the GraphQL type.
        assert_eq!(
            accept(&["application/json, application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(
            accept(&["application/graphql-response+json", "application/json"]),
            GRJ
        );
        assert_eq!(accept(&["application/graphql-response+json, */*"]), GRJ);
    }

    #[test]
    fn json_and_wildcards_mean_json() {
        assert_eq!(accept(&["application/json"]), JSON);
        // What the vendored GraphiQL (3.9) sends.
        assert_eq!(accept(&["application/json, multipart/mixed"]), JSON);
        assert_eq!(accept(&["*/*"]), JSON);
        assert_eq!(accept(&["application/*"]), JSON);
        assert_eq!(accept(&["application/json, */*"]), JSON);
        assert_eq!(
            accept(&["text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]),
            JSON
        );
    }

    #[test]
    fn weights_decide_before_specificity() {
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, application/json"]),
            JSON
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, */*"]),
            JSON,
            "*/* weighs 1"
        );
        assert_eq!(
            accept(&["application/json;q=0.1, application/graphql-response+json;q=0.2"]),
            GRJ
        );
        assert_eq!(accept(&["application/json; q=0.9, */*; q=0.1"]), JSON);
        // At equal weight a named type beats one a wildcard admits.
        assert_eq!(
            accept(&["application/graphql-response+json;q=0.5, */*;q=0.5"]),
            GRJ
        );
        assert_eq!(accept(&["application/json;q=0.5, */*;q=0.5"]), JSON);
    }

    #[test]
    fn q_zero_refuses_and_the_most_specific_range_decides() {
        assert_eq!(accept(&["application/json;q=0, */*"]), GRJ);
        assert_eq!(
            accept(&["application/graphql-response+json;q=0, */*"]),
            JSON
        );
        assert_eq!(
            accept(&["application/graphql-response+json;q=0, application/json;q=0, */*"]),
            None
        );
        assert_eq!(accept(&["*/*;q=0"]), None);
        assert_eq!(accept(&["application/*;q=0, application/json"]), JSON);
        assert_eq!(accept(&["application/json;q=0.000"]), None);
        // A named type refused is not admitted again by a wildcard.
        assert_eq!(accept(&["application/json;q=0, application/*"]), GRJ);
    }

    #[test]
    fn charsets_other_than_utf8_match_nothing() {
        assert_eq!(accept(&["application/json; charset=utf-8"]), JSON);
        assert_eq!(accept(&["application/json; charset=UTF-8"]), JSON);
        assert_eq!(accept(&["application/json; charset=\"utf-8\""]), JSON);
        assert_eq!(
            accept(&["application/graphql-response+json; charset=utf-8"]),
            GRJ
        );
        assert_eq!(accept(&["application/json; charset=iso-8859-1"]), None);
        assert_eq!(
            accept(&["application/graphql-response+json; charset=latin1, application/json"]),
            JSON
        );
        // Parameters make a range more specific than the same type without them.
        assert_eq!(
            accept(&["application/json;charset=utf-8;q=0.2, application/json;q=0.9"]),
            Some(Media::Json)
        );
        assert_eq!(
            accept(&[
                "application/graphql-response+json;charset=utf-8;q=0,application/graphql-response+json"
            ]),
            None
        );
    }

    #[test]
    fn neither_accepted_is_406() {
        assert_eq!(accept(&["text/html"]), None);
        assert_eq!(accept(&["text/*, image/png"]), None);
        assert_eq!(accept(&["application/xml"]), None);
        assert_eq!(accept(&["multipart/mixed"]), None);
        // Present but all malformed: nothing acceptable.
        assert_eq!(accept(&["json"]), None);
        assert_eq!(accept(&["application/json;q=high"]), None);
        assert_eq!(accept(&["application/json;q=1.5"]), None);
        assert_eq!(accept(&["*/json"]), None);
    }

    #[test]
    fn malformed_ranges_are_ignored_beside_good_ones() {
        assert_eq!(accept(&["garbage, application/json"]), JSON);
        assert_eq!(
            accept(&["application/json;q=2, application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(accept(&["application/, application/json"]), JSON);
        assert_eq!(accept(&["a/b;=x, application/json"]), JSON);
        assert_eq!(accept(&["application/json;charset=\"utf-8, */*"]), None);
        // A comma inside a quoted parameter does not split the header.
        assert_eq!(
            accept(&["text/html;x=\"a,application/json\", application/graphql-response+json"]),
            GRJ
        );
        assert_eq!(accept(&["\u{fffd}/\u{fffd}, application/json"]), JSON);
    }

    #[test]
    fn several_accept_headers_are_one_list() {
        let mut headers = HeaderMap::new();
        headers.append(ACCEPT, "text/html".parse().unwrap());
        headers.append(ACCEPT, "application/graphql-response+json".parse().unwrap());
        assert_eq!(negotiate(&headers), GRJ);
        assert_eq!(negotiate(&HeaderMap::new()), JSON);
        let mut headers = HeaderMap::new();
        headers.insert(
            ACCEPT,
            actix_web::http::header::HeaderValue::from_bytes(b"text/\xff").unwrap(),
        );
        assert_eq!(negotiate(&headers), None);
    }

    #[test]
    fn weights_parse_as_rfc_9110_says() {
        assert_eq!(parse_weight("0"), Some(0));
        assert_eq!(parse_weight("0."), Some(0));
        assert_eq!(parse_weight("0.5"), Some(500));
        assert_eq!(parse_weight("0.05"), Some(50));
        assert_eq!(parse_weight("0.123"), Some(123));
        assert_eq!(parse_weight("1"), Some(1000));
        assert_eq!(parse_weight("1.000"), Some(1000));
        for bad in ["0.1234", "1.5", "1.001", "2", ".5", "", "-0", "0.x", "1e0"] {
            assert_eq!(parse_weight(bad), None, "{bad}");
        }
    }

    #[test]
    fn content_types_name_their_charset() {
        assert_eq!(
            Media::GraphqlResponseJson.content_type(),
            "application/graphql-response+json; charset=utf-8"
        );
        assert_eq!(Media::Json.content_type(), "application/json");
    }
}
