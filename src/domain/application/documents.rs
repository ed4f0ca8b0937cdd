//! Documents of applications: the platform's document types and review statuses, which
//! documents each application and person must provide, and what file contents we accept.

use sha2::{Digest, Sha256};

use crate::domain::ids::{ApplicationId, ApplicationIndividualId, DocumentId};
use crate::domain::value_enum::value_enum;

value_enum! {
    /// The kinds of document an application can carry (the platform's list).
    #[derive(PartialOrd, Ord)]
    DocumentType {
        /// Front of a driver's licence.
        DriversLicenceFront = "DRIVERS_LICENCE_FRONT",
        /// Back of a driver's licence.
        DriversLicenceBack = "DRIVERS_LICENCE_BACK",
        /// Front of a government-issued identity card.
        GovernmentIdFront = "GOVERNMENT_ID_FRONT",
        /// Back of a government-issued identity card.
        GovernmentIdBack = "GOVERNMENT_ID_BACK",
        /// The photo page of a passport.
        Passport = "PASSPORT",
        /// A utility bill (proof of address).
        UtilityBill = "UTILITY_BILL",
        /// A financial statement.
        FinancialStatement = "FINANCIAL_STATEMENT",
        /// A lease agreement (proof of address).
        LeaseAgreement = "LEASE_AGREEMENT",
        /// A social security card.
        SocialSecurityCard = "SOCIAL_SECURITY_CARD",
        /// A power of attorney.
        PowerOfAttorney = "POWER_OF_ATTORNEY",
        /// A company's annual report.
        AnnualReport = "ANNUAL_REPORT",
        /// Certificate or articles of incorporation.
        IncorporationDocuments = "INCORPORATION_DOCUMENTS",
        /// A partnership agreement.
        PartnershipAgreement = "PARTNERSHIP_AGREEMENT",
        /// An LLC operating agreement.
        LlcAgreement = "LLC_AGREEMENT",
    }
}

value_enum! {
    /// Where a document requirement stands.
    DocumentStatus {
        /// Nothing uploaded yet.
        Missing = "MISSING",
        /// A file is uploaded and awaits review.
        Submitted = "SUBMITTED",
        /// The reviewer asks for a new file (see the description).
        ChangesRequested = "CHANGES_REQUESTED",
        /// The reviewer refused the file; upload another.
        Rejected = "REJECTED",
        /// The reviewer accepted the file.
        Approved = "APPROVED",
    }
}

impl DocumentStatus {
    /// Whether a file in this status counts towards the requirements.
    pub fn provided(self) -> bool {
        matches!(self, Self::Submitted | Self::Approved)
    }
}

use DocumentType::*;

/// The ways to prove a person's identity: a passport, or both sides of an identity card or
/// of a driver's licence.
pub const IDENTITY_ALTERNATIVES: &[&[DocumentType]] = &[
    &[Passport],
    &[GovernmentIdFront, GovernmentIdBack],
    &[DriversLicenceFront, DriversLicenceBack],
];

/// What a set of alternatives asks for, in words.
pub fn describe_alternatives(alternatives: &[&[DocumentType]]) -> String {
    let options: Vec<String> = alternatives
        .iter()
        .map(|set| {
            set.iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(" and ")
        })
        .collect();
    format!("one of: {}", options.join("; or "))
}

/// The id of the requirement for `document` of `individual` (or of the application itself),
/// derived from those three so that it is stable and known before any upload: the first 16
/// bytes of a SHA-256, as a UUID v8.
pub fn requirement_id(
    application: ApplicationId,
    individual: Option<ApplicationIndividualId>,
    document: DocumentType,
) -> DocumentId {
    let mut hash = Sha256::new();
    hash.update(b"application-document:");
    hash.update(application.0.as_bytes());
    hash.update(individual.map(|i| *i.0.as_bytes()).unwrap_or([0; 16]));
    hash.update(document.as_str().as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId(uuid::Uuid::new_v8(bytes))
}

/// Whether `id` is the requirement id of some document type for `application` itself or for
/// one of `people`: what it could ask for, a superset of what it does (`document_slots`).
pub fn could_be_requirement_of(
    id: DocumentId,
    application: ApplicationId,
    people: impl IntoIterator<Item = ApplicationIndividualId>,
) -> bool {
    std::iter::once(None)
        .chain(people.into_iter().map(Some))
        .flat_map(|person| DocumentType::ALL.iter().map(move |&d| (person, d)))
        .any(|(person, document)| requirement_id(application, person, document) == id)
}

/// The file formats we accept, by their bytes (not by the name or declared type).
pub const ACCEPTED_MIME_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// The MIME type of `content` when it is a PDF, JPEG or PNG, judged by its leading bytes.
pub fn sniff_content_type(content: &[u8]) -> Option<&'static str> {
    let kind = infer::get(content)?;
    ACCEPTED_MIME_TYPES
        .iter()
        .copied()
        .find(|accepted| *accepted == kind.mime_type())
}

/// The longest file name kept, in bytes (what common file systems allow).
pub const MAX_FILE_NAME_BYTES: usize = 255;

/// The name given to a file uploaded without a usable one.
pub const DEFAULT_FILE_NAME: &str = "document";

/// The longest extension a shortened name keeps whole (`.pdf`, `.jpeg`), in bytes.
const MAX_EXTENSION_BYTES: usize = 16;

/// An uploaded file's name reduced to a safe basename, kept as data and never used as a path:
/// the last path component (for `/` and `\`) with anything left, without control or
/// invisible formatting characters (bidi overrides, zero-width), markup and reserved
/// characters (`< > " ' ` & : * ? |`) replaced with `_`, other whitespace as a space, no
/// leading dots or spaces nor trailing ones, and at most [`MAX_FILE_NAME_BYTES`] bytes (cut
/// on a character boundary, keeping a short extension); [`DEFAULT_FILE_NAME`] when nothing
/// is left.
pub fn safe_file_name(raw: &str) -> String {
    let name = raw
        .rsplit(['/', '\\'])
        .map(clean_component)
        .find(|part| !part.is_empty())
        .unwrap_or_default();
    let shortened = shorten(&name);
    let name = trim_name(&shortened);
    if name.is_empty() {
        DEFAULT_FILE_NAME.to_owned()
    } else {
        name.to_owned()
    }
}

/// One path component with its characters made safe and its ends trimmed.
fn clean_component(part: &str) -> String {
    let mut out = String::with_capacity(part.len());
    for c in part.chars() {
        if c.is_control() || is_invisible(c) {
            continue;
        }
        out.push(if is_reserved(c) {
            '_'
        } else if c.is_whitespace() {
            ' '
        } else {
            c
        });
    }
    trim_name(&out).to_owned()
}

/// Markup characters (HTML, attributes, template literals) and those Windows reserves.
fn is_reserved(c: char) -> bool {
    matches!(
        c,
        '<' | '>' | '"' | '\'' | '`' | '&' | ':' | '*' | '?' | '|'
    )
}

/// Formatting characters that change how a name displays without being seen (a right-to-left
/// override turns `invoice\u{202E}fdp.exe` into "invoiceexe.pdf" on screen).
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
        | '\u{FFA0}' | '\u{FFF0}'..='\u{FFFB}' | '\u{E0000}'..='\u{E0FFF}')
}

/// Without leading dots and spaces (no hidden files, no `..`), nor trailing ones.
fn trim_name(name: &str) -> &str {
    name.trim_matches(['.', ' '])
}

/// At most [`MAX_FILE_NAME_BYTES`], cut on a character boundary; a short alphanumeric
/// extension survives the cut.
fn shorten(name: &str) -> String {
    if name.len() <= MAX_FILE_NAME_BYTES {
        return name.to_owned();
    }
    let (stem, extension) = match name.rfind('.') {
        Some(dot)
            if dot > 0
                && (2..=MAX_EXTENSION_BYTES + 1).contains(&(name.len() - dot))
                && name[dot + 1..].chars().all(char::is_alphanumeric) =>
        {
            name.split_at(dot)
        }
        _ => (name, ""),
    };
    let room = MAX_FILE_NAME_BYTES - extension.len();
    let cut = (0..=room)
        .rev()
        .find(|&i| stem.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}{extension}", trim_name(&stem[..cut]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pdf_jpeg_and_png_are_accepted_by_their_bytes() {
        assert_eq!(
            sniff_content_type(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"),
            Some("application/pdf")
        );
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            sniff_content_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0"),
            Some("image/jpeg")
        );
        assert_eq!(sniff_content_type(b"GIF89a......"), None);
        assert_eq!(sniff_content_type(b"MZ\x90\0 an executable"), None);
        assert_eq!(sniff_content_type(b"just text, named passport.pdf"), None);
        assert_eq!(sniff_content_type(b""), None);
    }

    #[test]
    fn requirement_ids_are_stable_and_distinct() {
        let app = ApplicationId::new();
        let person = ApplicationIndividualId::new();
        let id = requirement_id(app, None, Passport);
        assert_eq!(id, requirement_id(app, None, Passport));
        assert_ne!(id, requirement_id(app, Some(person), Passport));
        assert_ne!(id, requirement_id(app, None, GovernmentIdFront));
        assert_ne!(id, requirement_id(ApplicationId::new(), None, Passport));
        assert_eq!(id.0.get_version_num(), 8);
    }

    #[test]
    fn a_requirement_id_is_recognised_only_for_its_own_application_and_person() {
        let app = ApplicationId::new();
        let (ada, bob) = (
            ApplicationIndividualId::new(),
            ApplicationIndividualId::new(),
        );
        for &document in DocumentType::ALL {
            let own = requirement_id(app, None, document);
            assert!(could_be_requirement_of(own, app, []));
            assert!(could_be_requirement_of(own, app, [ada, bob]));
            assert!(!could_be_requirement_of(own, ApplicationId::new(), []));
            let adas = requirement_id(app, Some(ada), document);
            assert!(could_be_requirement_of(adas, app, [bob, ada]));
            assert!(!could_be_requirement_of(adas, app, [bob]));
            assert!(!could_be_requirement_of(adas, app, []));
        }
        assert!(!could_be_requirement_of(DocumentId::new(), app, [ada]));
    }

    /// What every safe name satisfies, whatever it came from.
    fn assert_safe(raw: &str) {
        let name = safe_file_name(raw);
        assert!(!name.is_empty(), "{raw:?}");
        assert!(name.len() <= MAX_FILE_NAME_BYTES, "{raw:?} -> {name:?}");
        assert!(
            !name.contains(['/', '\\', '<', '>', '"', '\'', '`', '&', ':', '*', '?', '|']),
            "{raw:?} -> {name:?}"
        );
        assert!(
            !name.chars().any(|c| c.is_control() || is_invisible(c)),
            "{raw:?} -> {name:?}"
        );
        assert!(!name.starts_with(['.', ' ']), "{raw:?} -> {name:?}");
        assert!(!name.ends_with(['.', ' ']), "{raw:?} -> {name:?}");
        assert_eq!(safe_file_name(&name), name, "safe names stay as they are");
    }

    #[test]
    fn ordinary_names_are_kept_as_they_are() {
        for name in [
            "passport.pdf",
            "Passport scan (2).PDF",
            "Reisepass München.jpeg",
            "護照.png",
            "id-front_v2.final.png",
            "a",
            "document",
        ] {
            assert_eq!(safe_file_name(name), name);
        }
    }

    #[test]
    fn only_the_last_path_component_is_kept() {
        assert_eq!(
            safe_file_name("C:\\Users\\ada\\passport.pdf"),
            "passport.pdf"
        );
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("/var/tmp/scan.png"), "scan.png");
        assert_eq!(safe_file_name("mixed/dirs\\scan.png"), "scan.png");
        // A trailing separator or a dot component leaves the last one with a name.
        assert_eq!(safe_file_name("scans/"), "scans");
        assert_eq!(safe_file_name("scans/.."), "scans");
        assert_eq!(safe_file_name("\\\\server\\share\\"), "share");
    }

    #[test]
    fn control_and_invisible_characters_are_removed() {
        assert_eq!(safe_file_name("pass\0port\r\n\t.pdf"), "passport.pdf");
        assert_eq!(safe_file_name("\u{1b}[31mred\u{7f}.pdf"), "[31mred.pdf");
        assert_eq!(safe_file_name("\u{85}next\u{9f}.pdf"), "next.pdf");
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(
            safe_file_name("\u{2067}a\u{2069}\u{200B}b\u{FEFF}.pdf"),
            "ab.pdf"
        );
        assert_eq!(safe_file_name("soft\u{AD}hyphen.pdf"), "softhyphen.pdf");
        assert_eq!(safe_file_name("tag\u{E0041}s.pdf"), "tags.pdf");
    }

    #[test]
    fn markup_and_reserved_characters_become_underscores() {
        assert_eq!(
            safe_file_name("<img src=x onerror=alert(1)>.pdf"),
            "_img src=x onerror=alert(1)_.pdf"
        );
        // The closing tag's slash is a path separator.
        assert_eq!(
            safe_file_name("<script>alert(1)</script>.pdf"),
            "script_.pdf"
        );
        assert_eq!(safe_file_name("a&b'c\"d`e.pdf"), "a_b_c_d_e.pdf");
        assert_eq!(
            safe_file_name("scan 10:30 *final*? a|b.png"),
            "scan 10_30 _final__ a_b.png"
        );
        assert_eq!(safe_file_name("&lt;b&gt;.pdf"), "_lt;b_gt;.pdf");
    }

    #[test]
    fn other_whitespace_becomes_a_space() {
        assert_eq!(
            safe_file_name("a\u{A0}b\u{2028}c\u{3000}d.pdf"),
            "a b c d.pdf"
        );
    }

    #[test]
    fn leading_and_trailing_dots_and_spaces_are_trimmed() {
        assert_eq!(safe_file_name(".htaccess"), "htaccess");
        assert_eq!(safe_file_name("  .. .passport.pdf"), "passport.pdf");
        assert_eq!(safe_file_name("passport.pdf. . "), "passport.pdf");
        assert_eq!(safe_file_name("\u{200B}.hidden"), "hidden");
        assert_eq!(safe_file_name("\t.profile"), "profile");
    }

    #[test]
    fn nothing_left_is_document() {
        for raw in [
            "",
            " ",
            "   ",
            ".",
            "..",
            "...",
            " . . ",
            "/",
            "\\",
            "//..//",
            "\0",
            "\u{1}\u{2}",
            "\u{202E}",
            "\r\n",
            "\u{FEFF}\u{200B}",
            "a/\u{1}/..",
        ] {
            let expected = if raw.starts_with('a') {
                "a"
            } else {
                DEFAULT_FILE_NAME
            };
            assert_eq!(safe_file_name(raw), expected, "{raw:?}");
        }
    }

    #[test]
    fn long_names_are_cut_to_255_bytes_on_a_character_boundary() {
        let exactly = "a".repeat(MAX_FILE_NAME_BYTES);
        assert_eq!(safe_file_name(&exactly), exactly);
        let one_more = "a".repeat(MAX_FILE_NAME_BYTES + 1);
        assert_eq!(safe_file_name(&one_more), exactly);
        // The extension survives.
        let long = format!("{}.pdf", "a".repeat(1_000));
        let cut = safe_file_name(&long);
        assert_eq!(cut.len(), MAX_FILE_NAME_BYTES);
        assert!(cut.ends_with("aaa.pdf"), "{cut}");
        // Two-byte characters: 255 is odd, so the cut lands a byte early.
        let cut = safe_file_name(&"é".repeat(600));
        assert_eq!(cut, "é".repeat(127));
        // Four-byte characters before a kept extension: 251 bytes of room hold 62 of them.
        let cut = safe_file_name(&format!("{}.jpeg", "😀".repeat(100)));
        assert_eq!(cut, format!("{}.jpeg", "😀".repeat(62)));
        // Three-byte characters: 85 fill 255 exactly.
        assert_eq!(safe_file_name(&"護".repeat(300)), "護".repeat(85));
        // Too long, or not alphanumeric, to be an extension: cut like the rest.
        let odd = format!("{}.{}", "a".repeat(300), "b".repeat(40));
        assert_eq!(safe_file_name(&odd), "a".repeat(MAX_FILE_NAME_BYTES));
        let spaced = format!("{}. x y", "a".repeat(300));
        assert_eq!(safe_file_name(&spaced), "a".repeat(MAX_FILE_NAME_BYTES));
        // The length counts what is left after cleaning, and a cut leaves no trailing dots.
        let padded = format!("{}{}", "\u{200B}".repeat(300), "b".repeat(10));
        assert_eq!(safe_file_name(&padded), "b".repeat(10));
        let dotted = format!("{}{}x.pdf", "a".repeat(250), ".".repeat(10));
        assert_eq!(safe_file_name(&dotted), format!("{}.pdf", "a".repeat(250)));
    }

    #[test]
    fn a_thousand_byte_html_name_becomes_a_safe_one() {
        let raw = format!(
            "{}.pdf",
            "<img src=x onerror=\"alert('é')\">&amp;`".repeat(1_000 / 38 + 1)
        );
        assert!(raw.len() > 1_000);
        let name = safe_file_name(&raw);
        assert!(name.len() <= MAX_FILE_NAME_BYTES, "{}", name.len());
        assert!(
            name.starts_with("_img src=x onerror=_alert(_é_)__"),
            "{name}"
        );
        assert!(name.ends_with(".pdf"), "{name}");
        assert_safe(&raw);
    }

    #[test]
    fn every_short_combination_of_awkward_characters_is_safe() {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', '.', ' ', '/', '\\', '<', '>', '"', '\'', '`', '&', ':', '*', '?', '|',
            '\0', '\n', '\u{7f}', '\u{A0}', '\u{202E}', '\u{200B}', '\u{FEFF}', 'é', '😀', '_',
        ];
        let mut count = 0;
        for a in ALPHABET {
            for b in ALPHABET {
                for c in ALPHABET {
                    for d in ['x', '.', '\u{202E}', '/'] {
                        assert_safe(&format!("{a}{b}{c}{d}"));
                        count += 1;
                    }
                }
            }
        }
        assert_eq!(count, ALPHABET.len().pow(3) * 4);
    }

    #[test]
    fn long_combinations_stay_within_the_limit() {
        for unit in [
            "a",
            "é",
            "護",
            "😀",
            "a.",
            " .",
            "<&>",
            "\u{202E}x",
            "x/y",
            ".pdf",
        ] {
            for repeat in [60, 63, 64, 85, 127, 128, 200, 256, 1_000] {
                assert_safe(&unit.repeat(repeat));
                assert_safe(&format!("{}.png", unit.repeat(repeat)));
                assert_safe(&format!("{}.{}", unit.repeat(repeat), "e".repeat(16)));
            }
        }
    }
}
