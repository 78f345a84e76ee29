//! Slugs: the readable, unique part of a public address (`/c/{slug}`).
//!
//! Rust turns a name into a base slug (transliterating accents and other
//! scripts); the database decides the final slug, because only the inserting
//! transaction can know what is free (see `create_business_card` in the
//! migrations, which also refuses reserved words).

use crate::error::{Error, Result};

pub const MAX_LENGTH: usize = 60;
const FALLBACK: &str = "card";

/// `"Zoë's Café & Bar"` → `"zoes-cafe-bar"`; `"!!!"` → `"card"`.
pub fn from_name(name: &str) -> String {
    // Apostrophes join rather than split: "zoë's" is "zoes", not "zoe-s".
    let ascii = deunicode::deunicode(name).to_lowercase().replace('\'', "");
    let mut slug = String::with_capacity(MAX_LENGTH);
    for word in ascii.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let separator = usize::from(!slug.is_empty());
        if slug.len() + separator + word.len() > MAX_LENGTH {
            if slug.is_empty() {
                slug.push_str(&word[..MAX_LENGTH]);
            }
            break;
        }
        if separator == 1 {
            slug.push('-');
        }
        slug.push_str(word);
    }
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        FALLBACK.to_owned()
    } else {
        slug
    }
}

/// Checks a slug someone typed. Reserved words are refused by the database.
pub fn parse(input: &str) -> Result<String> {
    let slug = input.trim().to_lowercase();
    let well_formed = !slug.is_empty()
        && slug.len() <= MAX_LENGTH
        && slug
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    if well_formed {
        Ok(slug)
    } else {
        Err(Error::invalid("slug", "Use 1 to 60 lowercase letters, digits and single hyphens, like \"jane-doe\"."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_lowercase_ascii_words_joined_by_hyphens() {
        assert_eq!(from_name("My Card"), "my-card");
        assert_eq!(from_name("  Zoë's Café & Bar  "), "zoes-cafe-bar");
        assert_eq!(from_name("Łódź — Straße 5"), "lodz-strasse-5");
        assert_eq!(from_name("Ünïcödé--Nämé"), "unicode-name");
    }

    #[test]
    fn nothing_usable_falls_back_to_card() {
        assert_eq!(from_name(""), "card");
        assert_eq!(from_name("!!! ???"), "card");
    }

    #[test]
    fn long_names_are_cut_at_a_word_within_sixty_characters() {
        let slug = from_name(&"word ".repeat(40));
        assert!(slug.len() <= MAX_LENGTH, "{slug}");
        assert!(!slug.ends_with('-'));
        assert_eq!(from_name(&"x".repeat(80)), "x".repeat(60));
    }

    #[test]
    fn typed_slugs_must_be_well_formed() -> Result<(), Box<dyn std::error::Error>> {
        assert_eq!(parse(" Jane-Doe ")?, "jane-doe");
        assert!(parse("jane--doe").is_err());
        assert!(parse("-jane").is_err());
        assert!(parse("jane_doe").is_err());
        assert!(parse(&"a".repeat(61)).is_err());
        Ok(())
    }
}
