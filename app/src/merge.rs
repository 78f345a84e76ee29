//! Three-way merge of a form after a version conflict, and the panel that
//! lets the user settle what both sides changed.
//!
//! `base` is what the editor started from, `mine` what the user has now,
//! `theirs` what is stored now. A field only one side changed takes that
//! side's value; a field both changed (differently) is a [`Conflict`] the
//! user resolves. Nothing the user typed is dropped: a conflict keeps the
//! user's value in the form until they pick the other one.

use leptos::prelude::*;
use model::Versioned;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use model::Values;

#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub field: String,
    pub base: String,
    pub mine: String,
    pub theirs: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    pub values: Values,
    pub conflicts: Vec<Conflict>,
    /// Fields whose value came from the other side.
    pub taken_from_theirs: Vec<String>,
}

pub fn merge(base: &Values, mine: &Values, theirs: &Values) -> Merged {
    let empty = String::new();
    let mut merged = Merged { values: Values::new(), conflicts: Vec::new(), taken_from_theirs: Vec::new() };
    let fields = base.keys().chain(mine.keys()).chain(theirs.keys());
    for field in fields {
        if merged.values.contains_key(field) {
            continue;
        }
        let base_value = base.get(field).unwrap_or(&empty);
        let my_value = mine.get(field).unwrap_or(&empty);
        let their_value = theirs.get(field).unwrap_or(&empty);
        let value = if my_value == their_value || their_value == base_value {
            my_value
        } else if my_value == base_value {
            merged.taken_from_theirs.push(field.clone());
            their_value
        } else {
            merged.conflicts.push(Conflict {
                field: field.clone(),
                base: base_value.clone(),
                mine: my_value.clone(),
                theirs: their_value.clone(),
            });
            my_value
        };
        merged.values.insert(field.clone(), value.clone());
    }
    merged
}

/// A stored record (or one section of it) as form values, with the
/// version they belong to (0: never saved).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SectionView {
    pub values: Values,
    pub version: i32,
}

impl SectionView {
    /// A stored record as its editor holds it.
    pub fn of(record: &(impl Versioned + ?Sized)) -> Self {
        SectionView { values: record.values(), version: record.version() }
    }

    /// The record a 409 carries as `current`, as the editor of the stored
    /// type `S` holds it; `None` when it is not one (a field or the version
    /// missing).
    pub fn stored<S: Versioned>(current: serde_json::Value) -> Option<Self> {
        SectionView::read(&current, S::field_table())
    }

    /// `fields` and the version out of a record sent as JSON.
    ///
    /// Read through the field table that also names the record's serde
    /// fields (`text_record!` makes both from one list), not decoded as `S`:
    /// decoding would compile a deserializer per record type into the
    /// WASM, for values the editor holds as text anyway.
    pub fn read(current: &serde_json::Value, fields: &[(&str, &str)]) -> Option<Self> {
        let version = i32::try_from(current.get("version")?.as_i64()?).ok()?;
        let values = fields
            .iter()
            .map(|(field, _)| {
                let value = match current.get(*field)? {
                    serde_json::Value::Null => String::new(),
                    value => value.as_str()?.to_owned(),
                };
                Some(((*field).to_owned(), value))
            })
            .collect::<Option<Values>>()?;
        Some(SectionView { values, version })
    }
}

/// The record a 409 carries as `current`, decoded as `R` (for what is not
/// one of its text fields, like the estimate's computed total).
pub fn current_record<R: DeserializeOwned>(current: &serde_json::Value) -> Option<R> {
    serde_json::from_str(&current.to_string()).ok()
}

/// The state an editor keeps to be able to merge: what it started from,
/// what the user has typed, the version it is based on, open conflicts.
#[derive(Clone, Copy)]
pub struct EditorState {
    pub base: RwSignal<Values>,
    pub values: RwSignal<Values>,
    pub version: RwSignal<i32>,
    pub conflicts: RwSignal<Vec<Conflict>>,
    /// Set after a conflict: how many fields were merged in from the other side.
    pub merged_from_theirs: RwSignal<Option<Vec<String>>>,
}

impl EditorState {
    pub fn new(values: Values, version: i32) -> Self {
        EditorState {
            base: RwSignal::new(values.clone()),
            values: RwSignal::new(values),
            version: RwSignal::new(version),
            conflicts: RwSignal::new(Vec::new()),
            merged_from_theirs: RwSignal::new(None),
        }
    }

    pub fn get(&self, field: &str) -> String {
        self.values.with(|values| values.get(field).cloned().unwrap_or_default())
    }

    pub fn set(&self, field: &str, value: String) {
        self.values.update(|values| {
            values.insert(field.to_owned(), value);
        });
    }

    /// Whether the form differs from what it was loaded (or last saved) with.
    pub fn has_unsaved_edits(&self) -> bool {
        self.values.with_untracked(|values| self.base.with_untracked(|base| values != base))
    }

    /// After a successful save: the stored values are the new starting point.
    pub fn saved(&self, stored: Values, version: i32) {
        self.base.set(stored.clone());
        self.values.set(stored);
        self.version.set(version);
        self.conflicts.set(Vec::new());
        self.merged_from_theirs.set(None);
    }

    /// After a 409: merge the stored record into the form and move onto its
    /// version, so the next save goes against it.
    pub fn conflicted(&self, theirs: Values, their_version: i32) {
        let merged = merge(&self.base.get_untracked(), &self.values.get_untracked(), &theirs);
        self.base.set(theirs);
        self.values.set(merged.values);
        self.version.set(their_version);
        self.conflicts.set(merged.conflicts);
        self.merged_from_theirs.set(Some(merged.taken_from_theirs));
    }

    fn resolve(&self, field: &str, value: String) {
        self.set(field, value);
        self.conflicts.update(|conflicts| conflicts.retain(|c| c.field != field));
    }
}

impl From<SectionView> for EditorState {
    fn from(start: SectionView) -> Self {
        EditorState::new(start.values, start.version)
    }
}

/// Shown after a version conflict: what was merged in, and every field both
/// sides changed, side by side, with a choice.
#[component]
pub fn MergePanel(
    state: EditorState,
    labels: &'static [(&'static str, &'static str)],
    /// Distinguishes panels when a page has several editors of one kind
    /// (`None`: the first field's name does).
    id: Option<String>,
) -> AnyView {
    let label_of = move |field: &str| {
        labels.iter().find(|(name, _)| *name == field).map(|(_, label)| *label).unwrap_or("Field").to_owned()
    };
    let shown = move || state.merged_from_theirs.with(Option::is_some);
    // The save button is usually far below the panel: bring the panel into
    // view when a conflict opens it, or the user may never see it.
    let panel = NodeRef::<leptos::html::Section>::new();
    // Unique per form: a page may hold several editors (the profile does).
    let title_id = format!(
        "merge-title-{}",
        id.unwrap_or_else(|| labels.first().map(|(field, _)| *field).unwrap_or("form").to_owned())
    );
    Effect::new(move |_| {
        if shown() {
            request_animation_frame(move || {
                if let Some(panel) = panel.get_untracked() {
                    panel.scroll_into_view();
                }
            });
        }
    });
    view! {
        <Show when=shown>
            <section class="merge-panel" node_ref=panel data-testid="merge-panel" aria-labelledby=title_id.clone()>
                <h2 id=title_id.clone()>"Someone else saved this while you were editing"</h2>
                {move || {
                    let taken = state.merged_from_theirs.get().unwrap_or_default();
                    let taken_labels: Vec<String> = taken.iter().map(|f| label_of(f)).collect();
                    if taken_labels.is_empty() {
                        view! { <p class="muted">"Your form now builds on their version."</p> }.into_any()
                    } else {
                        view! {
                            <p class="muted" data-testid="merged-fields">
                                "Their changes to " <strong>{taken_labels.join(", ")}</strong>
                                " are now in the form."
                            </p>
                        }.into_any()
                    }
                }}
                <Show
                    when=move || !state.conflicts.with(Vec::is_empty)
                    fallback=|| view! { <p>"Nothing clashes with your changes. Review and save again."</p> }
                >
                    <p>"You both changed these fields. Pick a value (or edit the field), then save again."</p>
                    <For each=move || state.conflicts.get() key=|c| c.field.clone() let:conflict>
                        {
                            let label = label_of(&conflict.field);
                            let Conflict { field, base, mine, theirs } = conflict;
                            let (keep_field, keep_value) = (field.clone(), mine.clone());
                            let (take_field, take_value) = (field.clone(), theirs.clone());
                            view! {
                                <div class="conflict" data-testid=format!("conflict-{field}")>
                                    <h3>{label.clone()}</h3>
                                    <dl class="conflict-values">
                                        <div><dt>"You started from"</dt><dd class="was">{show_empty(base)}</dd></div>
                                        <div><dt>"Yours"</dt><dd class="mine" data-testid="mine">{show_empty(mine)}</dd></div>
                                        <div><dt>"Saved meanwhile"</dt><dd class="theirs" data-testid="theirs">{show_empty(theirs)}</dd></div>
                                    </dl>
                                    <div class="conflict-actions">
                                        <button type="button" class="button small"
                                            aria-label=format!("Keep my {label}")
                                            on:click=move |_| state.resolve(&keep_field, keep_value.clone())>
                                            "Keep mine"
                                        </button>
                                        <button type="button" class="button small ghost"
                                            aria-label=format!("Use their {label}")
                                            on:click=move |_| state.resolve(&take_field, take_value.clone())>
                                            "Use theirs"
                                        </button>
                                    </div>
                                </div>
                            }
                        }
                    </For>
                </Show>
            </section>
        </Show>
    }
    .into_any()
}

fn show_empty(value: String) -> String {
    if value.is_empty() {
        "(empty)".to_owned()
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn changes_to_different_fields_both_survive() {
        let base = values(&[("title", "Engineer"), ("company", "Acme")]);
        let mine = values(&[("title", "Engineer"), ("company", "Globex")]);
        let theirs = values(&[("title", "CTO"), ("company", "Acme")]);
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(merged.values, values(&[("title", "CTO"), ("company", "Globex")]));
        assert!(merged.conflicts.is_empty());
        assert_eq!(merged.taken_from_theirs, vec!["title".to_owned()]);
    }

    #[test]
    fn both_changing_one_field_is_a_conflict_that_keeps_my_value() {
        let base = values(&[("company", "Acme")]);
        let mine = values(&[("company", "Globex")]);
        let theirs = values(&[("company", "Initech")]);
        let merged = merge(&base, &mine, &theirs);
        assert_eq!(merged.values["company"], "Globex");
        assert_eq!(
            merged.conflicts,
            vec![Conflict {
                field: "company".into(),
                base: "Acme".into(),
                mine: "Globex".into(),
                theirs: "Initech".into()
            }]
        );
    }

    #[test]
    fn a_conflicts_current_is_read_as_its_model_type() {
        use model::assessments::Tyre;
        let current = serde_json::json!({
            "position": "spare", "version": 4, "make": "Acme", "size": "", "tread_depth_mm": "4.5", "condition": "",
        });
        let theirs = SectionView::stored::<Tyre>(current.clone()).expect("a stored tyre");
        assert_eq!(theirs.version, 4);
        assert_eq!(
            theirs.values,
            values(&[("make", "Acme"), ("size", ""), ("tread_depth_mm", "4.5"), ("condition", "")])
        );
        let other_record = serde_json::json!({ "version": 4, "make": "Acme" });
        assert_eq!(SectionView::stored::<Tyre>(other_record), None, "not a tyre: nothing to merge, not empty fields");
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = values(&[("company", "Acme")]);
        let both = values(&[("company", "Globex")]);
        let merged = merge(&base, &both, &both);
        assert!(merged.conflicts.is_empty());
        assert!(merged.taken_from_theirs.is_empty());
        assert_eq!(merged.values["company"], "Globex");
    }
}
