//! Records whose editable part is a set of text fields, declared once with
//! [`text_record!`](crate::text_record): the input, the partial change, the
//! stored row and the field table of the form all come from one list, so
//! renaming a field renames it everywhere or fails to compile.

use std::collections::BTreeMap;

/// Form values by field name, as editors and the merge panel hold them.
pub type Values = BTreeMap<String, String>;

/// The text fields of a form, in form order, with their labels.
pub trait Form: Sized {
    /// `(field, label)` in the order the form shows them.
    const FIELDS: &'static [(&'static str, &'static str)];

    /// Every field as form values.
    fn values(&self) -> Values;

    /// The fields from form values; a missing field is empty.
    fn from_values(values: &Values) -> Self;

    /// Every field passed through `check` (which may normalise it), or the
    /// first error.
    fn try_map<E>(self, check: impl FnMut(&'static str, String) -> Result<String, E>) -> Result<Self, E>;
}

/// A stored record (or one section of it) that an editor loads whole and
/// saves against its version: what the editor starts from, and what it
/// merges with after a conflict.
pub trait Versioned {
    /// `(field, label)` of the editable text fields: the input's
    /// [`Form::FIELDS`].
    fn field_table() -> &'static [(&'static str, &'static str)]
    where
        Self: Sized;

    /// The editable text fields as form values.
    fn values(&self) -> Values;

    /// The version those values are at (0: never saved).
    fn version(&self) -> i32;
}

/// Declares, from one list of text fields with their labels:
/// - the input (`$fields`, every field a `String`) with [`Form`],
/// - optionally the partial change (`$changes`, every field an
///   `Option<String>`, plus its own extra fields; `Default`), with
///   `$fields::into_changes` and `$changes::try_map` over the fields it carries,
/// - optionally the stored record (`$stored`: its own fields, `version`
///   among them, then the text fields) with `$stored::fields` and
///   [`Versioned`], where it stores them as text.
///
/// Attributes (derives, docs) are given per struct; the input's `Default`
/// is written by hand where fields have non-empty defaults.
#[macro_export]
macro_rules! text_record {
    (
        input: $(#[$fields_meta:meta])* $fields:ident;
        $(changes: $(#[$changes_meta:meta])* $changes:ident $extras:tt)?
        $(stored: $(#[$stored_meta:meta])* $stored:ident $own:tt)?
        text: $text:tt
    ) => {
        $crate::text_record!(@input [$(#[$fields_meta])*] $fields $text);
        $($crate::text_record!(@changes [$(#[$changes_meta])*] $changes $fields $extras $text);)?
        $($crate::text_record!(@stored [$(#[$stored_meta])*] $stored $fields $own $text);)?
    };

    (@input [$(#[$meta:meta])*] $fields:ident
        { $($(#[$field_meta:meta])* $field:ident : $label:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        pub struct $fields {
            $($(#[$field_meta])* pub $field: String,)*
        }

        impl $crate::Form for $fields {
            const FIELDS: &'static [(&'static str, &'static str)] = &[$((stringify!($field), $label)),*];

            fn values(&self) -> $crate::Values {
                [$((stringify!($field), &self.$field)),*]
                    .into_iter()
                    .map(|(field, value)| (field.to_owned(), value.clone()))
                    .collect()
            }

            fn from_values(values: &$crate::Values) -> Self {
                $fields { $($field: values.get(stringify!($field)).cloned().unwrap_or_default(),)* }
            }

            fn try_map<E>(
                self,
                mut check: impl FnMut(&'static str, String) -> Result<String, E>,
            ) -> Result<Self, E> {
                Ok($fields { $($field: check(stringify!($field), self.$field)?,)* })
            }
        }
    };

    (@changes [$(#[$meta:meta])*] $changes:ident $fields:ident
        { $($(#[$extra_meta:meta])* $extra:ident : $extra_ty:ty),* $(,)? }
        { $($(#[$field_meta:meta])* $field:ident : $label:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        pub struct $changes {
            $($(#[$extra_meta])* pub $extra: $extra_ty,)*
            $($(#[$field_meta])* pub $field: Option<String>,)*
        }

        impl $fields {
            /// Every field as a change, the extra fields of the change left out.
            pub fn into_changes(self) -> $changes {
                $changes { $($field: Some(self.$field),)* ..Default::default() }
            }
        }

        impl $changes {
            /// Every text field given passed through `check`, or the first
            /// error (the extra fields are the caller's to check).
            pub fn try_map<E>(
                self,
                mut check: impl FnMut(&'static str, String) -> Result<String, E>,
            ) -> Result<Self, E> {
                Ok($changes {
                    $($extra: self.$extra,)*
                    $($field: match self.$field {
                        Some(value) => Some(check(stringify!($field), value)?),
                        None => None,
                    },)*
                })
            }
        }
    };

    (@stored [$(#[$meta:meta])*] $stored:ident $fields:ident
        { $($(#[$own_meta:meta])* $own:ident : $own_ty:ty),* $(,)? }
        { $($(#[$field_meta:meta])* $field:ident : $label:literal),* $(,)? }
    ) => {
        $(#[$meta])*
        pub struct $stored {
            $($(#[$own_meta])* pub $own: $own_ty,)*
            $($(#[$field_meta])* pub $field: String,)*
        }

        impl $stored {
            /// The editable part of the record.
            pub fn fields(&self) -> $fields {
                $fields { $($field: self.$field.clone(),)* }
            }
        }

        impl $crate::Versioned for $stored {
            fn field_table() -> &'static [(&'static str, &'static str)] {
                <$fields as $crate::Form>::FIELDS
            }

            fn values(&self) -> $crate::Values {
                $crate::Form::values(&self.fields())
            }

            fn version(&self) -> i32 {
                self.version
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cards::{Card, CardChanges, CardFields};

    #[test]
    fn one_list_gives_the_table_the_values_and_the_changes() {
        let names: Vec<&str> = CardFields::FIELDS.iter().map(|(field, _)| *field).collect();
        assert_eq!(names[..3], ["name", "template", "layout"]);
        let fields = CardFields { name: "Ada".into(), tagline: "Engines".into(), ..CardFields::default() };
        let values = fields.values();
        assert_eq!(values.len(), CardFields::FIELDS.len());
        assert_eq!(CardFields::from_values(&values), fields);
        let changes = fields.clone().into_changes();
        assert_eq!((changes.name.as_deref(), changes.slug), (Some("Ada"), None));

        let checked = CardChanges { tagline: Some(" x ".into()), ..CardChanges::default() }
            .try_map(|_, value| Ok::<_, ()>(value.trim().to_owned()))
            .unwrap();
        assert_eq!((checked.tagline.as_deref(), checked.name), (Some("x"), None), "only given fields are checked");
        let refused = fields.clone().try_map(|field, value| if field == "tagline" { Err(field) } else { Ok(value) });
        assert_eq!(refused, Err("tagline"));

        let card = Card {
            id: uuid::Uuid::nil(),
            slug: "ada".into(),
            version: 1,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
            name: fields.name.clone(),
            template: fields.template.clone(),
            layout: fields.layout.clone(),
            accent_color: fields.accent_color.clone(),
            full_name: String::new(),
            job_title: String::new(),
            company: String::new(),
            email: String::new(),
            phone: String::new(),
            website: String::new(),
            address: String::new(),
            tagline: fields.tagline.clone(),
        };
        assert_eq!(card.fields(), fields);
        assert_eq!((Versioned::values(&card), Versioned::version(&card)), (values, 1));
    }
}
