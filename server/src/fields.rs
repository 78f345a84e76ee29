//! Checks for the kinds of text fields several forms share (emails, phone
//! numbers, web addresses, lengths). Each takes the field's name so the
//! error lands beside the right input, and returns the normalised value.

use chrono::NaiveDate;
use validator::ValidateEmail;

use crate::error::{Error, Result};

/// One line of text: trimmed, at most `max` characters, no control
/// characters (a newline or an escape code has no place in a name, and
/// could forge lines in exports, headers or logs).
pub fn text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = bounded(field, value, max)?;
    if value.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "Use a single line of plain text (no tabs, line breaks or control characters).",
        ));
    }
    Ok(value)
}

/// Text that may span lines (notes, descriptions, an address): like
/// [`text`], but line breaks and tabs are kept.
pub fn multiline_text(field: &str, value: &str, max: usize) -> Result<String> {
    let value = bounded(field, value, max)?;
    if value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(Error::invalid(field, "Remove the control characters."));
    }
    Ok(value)
}

/// Trims and limits the length (in characters).
fn bounded(field: &str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.chars().count() > max {
        return Err(Error::invalid(field, format!("Keep this to at most {max} characters.")));
    }
    Ok(value.to_owned())
}

/// Like [`text`], but empty is refused.
pub fn required_text(field: &str, value: &str, max: usize, missing: &str) -> Result<String> {
    let value = text(field, value, max)?;
    if value.is_empty() {
        return Err(Error::invalid(field, missing));
    }
    Ok(value)
}

/// `value` trimmed: empty, or accepted by `valid`, else `message` on `field`.
fn optional_checked(field: &str, value: &str, message: &str, valid: impl FnOnce(&str) -> bool) -> Result<String> {
    let value = value.trim();
    if value.is_empty() || valid(value) {
        Ok(value.to_owned())
    } else {
        Err(Error::invalid(field, message))
    }
}

/// An email address, or empty.
pub fn optional_email(field: &str, value: &str) -> Result<String> {
    optional_checked(field, value, "This does not look like an email address.", |value| {
        value.len() <= 254 && value.validate_email() && value.rsplit_once('@').is_some_and(|(_, d)| d.contains('.'))
    })
}

/// A phone number written the way people write them, or empty.
pub fn optional_phone(field: &str, value: &str) -> Result<String> {
    optional_checked(field, value, "Use digits, spaces and + - ( ) . only, like +1 555 010 2030.", |value| {
        let allowed = value.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits = value.chars().filter(char::is_ascii_digit).count();
        allowed && (5..=20).contains(&digits) && value.len() <= 40
    })
}

/// The longest web address accepted, as typed.
const URL_LENGTH: usize = 200;

/// A web address, or empty; `example.com` becomes `https://example.com`.
pub fn optional_url(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    let with_scheme = if value.starts_with("http://") || value.starts_with("https://") {
        value.to_owned()
    } else {
        format!("https://{value}")
    };
    match url::Url::parse(&with_scheme) {
        Ok(url) if url.host_str().is_some_and(|host| host.contains('.')) && value.chars().count() <= URL_LENGTH => {
            Ok(with_scheme)
        }
        _ => Err(Error::invalid(field, "This does not look like a web address.")),
    }
}

/// A LinkedIn profile address, or empty.
pub fn optional_linkedin(field: &str, value: &str) -> Result<String> {
    let url = optional_url(field, value)?;
    if url.is_empty() {
        return Ok(url);
    }
    let host = url::Url::parse(&url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    if host == "linkedin.com" || host.ends_with(".linkedin.com") {
        Ok(url)
    } else {
        Err(Error::invalid(field, "Use your LinkedIn address, like https://www.linkedin.com/in/your-name."))
    }
}

/// A date of birth as `YYYY-MM-DD`, or none when empty.
pub fn optional_birth_date(field: &str, value: &str, today: NaiveDate) -> Result<Option<NaiveDate>> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| Error::invalid(field, "Use a date like 1990-12-31."))?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
    if date < earliest || date > today {
        return Err(Error::invalid(field, "Use a date between 1900 and today."));
    }
    Ok(Some(date))
}

/// A color like `#2563eb`, lowercased.
pub fn color(field: &str, value: &str) -> Result<String> {
    let color = value.trim().to_ascii_lowercase();
    let well_formed = color.len() == 7 && color.starts_with('#') && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
    if well_formed {
        Ok(color)
    } else {
        Err(Error::invalid(field, "Use a color like #2563eb."))
    }
}

/// One of a closed set of `(name, label)` choices, by name; otherwise
/// the error says which names there are.
pub fn one_of(field: &str, value: &str, choices: &[(&str, &str)], what: &str) -> Result<String> {
    let value = value.trim();
    if choices.iter().any(|(name, _)| *name == value) {
        Ok(value.to_owned())
    } else {
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        Err(Error::invalid(field, format!("Choose {what}: {}.", names.join(", "))))
    }
}

/// An amount of money as typed ("1200", "1 200.50"): at most two decimals,
/// not negative, below a billion. Empty is zero.
pub fn amount(field: &str, value: &str) -> Result<String> {
    let cleaned: String = value.trim().chars().filter(|c| !c.is_whitespace()).collect();
    if cleaned.is_empty() {
        return Ok("0".to_owned());
    }
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    let well_formed = !whole.is_empty()
        && whole.len() <= 9
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.len() <= 2
        && fraction.bytes().all(|b| b.is_ascii_digit());
    if well_formed {
        Ok(cleaned)
    } else {
        Err(Error::invalid(field, "Enter an amount like 1200 or 1200.50."))
    }
}

/// How one text field is checked, said once: the server checks a value
/// with [`Rule::check`], and the API document states the same rule
/// ([`Rule::describe`]: lengths, pattern, choices), so a client can know
/// before sending what will be refused. scripts/test.sh holds the two
/// together with schemathesis.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// One line of at most this many characters ([`text`]).
    Line(usize),
    /// One line that must not be blank, at most `.0` characters; `.1` says
    /// what is missing.
    Required(usize, &'static str),
    /// Text with line breaks, at most this many characters.
    Lines(usize),
    /// One line, upper-cased (a registration plate).
    Upper(usize),
    Email,
    Phone,
    Url,
    LinkedIn,
    Color,
    Amount,
    /// One of these `(name, label)` choices, by name; the text names them.
    OneOf(&'static [(&'static str, &'static str)], &'static str),
    /// Empty, or a vehicle identification number: 17 letters and digits.
    Vin,
    /// Empty, or millimetres from 0 to 30, like 4.5.
    TreadDepth,
    /// Empty, or whole kilometres (up to 7 digits; spaces and commas allowed).
    Odometer,
    /// Empty, or a date of birth `YYYY-MM-DD` from 1900 to today.
    BirthDate,
}

/// No control characters: what [`text`] allows.
const ONE_LINE: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";
/// Not blank either.
const NOT_BLANK: &str =
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$";
/// Line breaks and tabs allowed: what [`multiline_text`] allows.
const LINES: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$";
/// A host name of dotted labels (what URLs and email domains need).
macro_rules! host {
    () => {
        r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+"
    };
}
const EMAIL: &str = concat!(r"^$|^[A-Za-z0-9._%+-]{1,64}@", host!(), "$");
const PHONE: &str = r"^$|^[ +().-]*(?:[0-9][ +().-]*){5,20}$";
const URL: &str = concat!(r"^$|^(?:https?://)?", host!(), r"(?:/[A-Za-z0-9._~%/-]*)?$");
const LINKEDIN: &str =
    r"^$|^(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)?linkedin\.com(?:/[A-Za-z0-9._~%/-]*)?$";
const COLOR: &str = r"^#[0-9A-Fa-f]{6}$";
const AMOUNT: &str = r"^$|^[0-9]{1,9}(?:\.[0-9]{0,2})?$";
const VIN: &str = r"^$|^[A-Za-z0-9]{17}$";
const TREAD_DEPTH: &str = r"^$|^(?:(?:[0-9]|[12][0-9])(?:\.[0-9]{1,2})?|30(?:\.0{1,2})?)$";
const ODOMETER: &str = r"^[ ,]*(?:[0-9][ ,]*){0,7}$";
const BIRTH_DATE: &str = r"^$|^(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$";

impl Rule {
    /// `value` checked and normalised, or the error on `field`.
    pub fn check(self, field: &str, value: &str) -> Result<String> {
        match self {
            Rule::Line(max) => text(field, value, max),
            Rule::Required(max, missing) => required_text(field, value, max, missing),
            Rule::Lines(max) => multiline_text(field, value, max),
            Rule::Upper(max) => Ok(text(field, value, max)?.to_ascii_uppercase()),
            Rule::Email => optional_email(field, value),
            Rule::Phone => optional_phone(field, value),
            Rule::Url => optional_url(field, value),
            Rule::LinkedIn => optional_linkedin(field, value),
            Rule::Color => color(field, value),
            Rule::Amount => amount(field, value),
            Rule::OneOf(choices, what) => one_of(field, value, choices, what),
            Rule::Vin => {
                let vin = text(field, value, 17)?.to_ascii_uppercase();
                if !vin.is_empty() && (vin.len() != 17 || !vin.bytes().all(|b| b.is_ascii_alphanumeric())) {
                    return Err(Error::invalid(field, "A VIN has 17 letters and digits."));
                }
                Ok(vin)
            }
            Rule::TreadDepth => {
                let tread = text(field, value, 10)?;
                if !tread.is_empty() && !tread.parse::<f64>().is_ok_and(|mm| (0.0..=30.0).contains(&mm)) {
                    return Err(Error::invalid(field, "Enter the tread depth in millimetres, like 4.5."));
                }
                Ok(tread)
            }
            Rule::Odometer => {
                let km = value.trim().replace([' ', ','], "");
                if !km.bytes().all(|b| b.is_ascii_digit()) || km.len() > 7 {
                    return Err(Error::invalid(field, "Enter the odometer reading in whole kilometres."));
                }
                Ok(km)
            }
            Rule::BirthDate => {
                optional_birth_date(field, value, chrono::Utc::now().date_naive())?;
                Ok(value.trim().to_owned())
            }
        }
    }

    /// States the rule on the field's schema in the API document.
    pub fn describe(self, schema: &mut utoipa::openapi::schema::Object) {
        let (max_length, min_length, pattern) = match self {
            Rule::Line(max) | Rule::Upper(max) => (Some(max), None, Some(ONE_LINE)),
            Rule::Required(max, _) => (Some(max), Some(1), Some(NOT_BLANK)),
            Rule::Lines(max) => (Some(max), None, Some(LINES)),
            Rule::Email => (Some(254), None, Some(EMAIL)),
            Rule::Phone => (Some(40), None, Some(PHONE)),
            Rule::Url => (Some(URL_LENGTH), None, Some(URL)),
            Rule::LinkedIn => (Some(URL_LENGTH), None, Some(LINKEDIN)),
            Rule::Color => (None, None, Some(COLOR)),
            Rule::Amount => (Some(12), None, Some(AMOUNT)),
            Rule::Vin => (Some(17), None, Some(VIN)),
            Rule::TreadDepth => (Some(10), None, Some(TREAD_DEPTH)),
            Rule::Odometer => (Some(40), None, Some(ODOMETER)),
            Rule::BirthDate => (Some(10), None, Some(BIRTH_DATE)),
            Rule::OneOf(choices, _) => {
                schema.enum_values = Some(choices.iter().map(|(name, _)| (*name).into()).collect());
                (None, None, None)
            }
        };
        if let Some(choices) = &mut schema.enum_values {
            // An optional field (a change that may leave it alone) may also be null.
            use utoipa::openapi::schema::{SchemaType, Type};
            if matches!(&schema.schema_type, SchemaType::Array(types) if types.contains(&Type::Null)) {
                choices.push(serde_json::Value::Null);
            }
        }
        schema.max_length = max_length;
        schema.min_length = min_length;
        schema.pattern = pattern.map(str::to_owned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: Error) -> String {
        match error {
            Error::Invalid { field, .. } => field,
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn empty_optional_values_are_fine() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(optional_email("e", "  ")?, "");
        assert_eq!(optional_phone("p", "")?, "");
        assert_eq!(optional_url("w", "")?, "");
        assert_eq!(optional_birth_date("d", "", NaiveDate::MAX)?, None);
        Ok(())
    }

    #[test]
    fn bad_values_name_their_field() -> Result<(), Box<dyn std::error::Error>> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).ok_or("a valid date")?;
        assert_eq!(field_of(optional_email("email", "ada@").unwrap_err()), "email");
        assert_eq!(field_of(optional_phone("phone", "call me").unwrap_err()), "phone");
        assert_eq!(field_of(optional_url("website", "not a site").unwrap_err()), "website");
        assert_eq!(field_of(optional_linkedin("linkedin", "https://example.com/ada").unwrap_err()), "linkedin");
        assert_eq!(field_of(optional_birth_date("dob", "31/12/1990", today).unwrap_err()), "dob");
        assert_eq!(field_of(optional_birth_date("dob", "2030-01-01", today).unwrap_err()), "dob");
        assert_eq!(field_of(text("bio", &"x".repeat(11), 10).unwrap_err()), "bio");
        assert_eq!(field_of(color("accent", "red").unwrap_err()), "accent");
        Ok(())
    }

    #[test]
    fn good_values_are_normalised() -> Result<(), Box<dyn std::error::Error>> {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).ok_or("a valid date")?;
        assert_eq!(optional_url("w", "example.com")?, "https://example.com");
        assert_eq!(optional_linkedin("l", "linkedin.com/in/ada")?, "https://linkedin.com/in/ada");
        assert_eq!(optional_birth_date("d", "1990-12-31", today)?, NaiveDate::from_ymd_opt(1990, 12, 31));
        assert_eq!(color("c", "#AABBCC")?, "#aabbcc");
        assert_eq!(text("t", "  Ada  ", 10)?, "Ada");
        Ok(())
    }

    #[test]
    fn amounts_are_plain_non_negative_numbers_with_two_decimals_at_most() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(amount("labour", "")?, "0");
        assert_eq!(amount("labour", " 1 200.50 ")?, "1200.50");
        for bad in ["-5", "1.234", "12,50", "abc", "1e3", ".5", "1234567890"] {
            assert!(amount("labour", bad).is_err(), "{bad}");
        }
        Ok(())
    }
}
