//! The inputs of a form, laid out from the model's field table: which
//! field goes where and as what kind of control, checked when compiling.

use std::sync::Arc;

use leptos::prelude::*;

use crate::components::{form_error, labelled};
use crate::error::AppError;
use crate::merge::EditorState;

/// A model's field table: `(field, label)` in form order (`Form::FIELDS`).
pub type Fields = &'static [(&'static str, &'static str)];

/// How one field is shown. Built in constants from the model's field table
/// with [`Input::of`], so a field the model does not have fails to compile.
#[derive(Debug, Clone, Copy)]
pub struct Input {
    field: &'static str,
    label: &'static str,
    kind: Kind,
    hint: &'static str,
    required: bool,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    /// An `<input>` of this type.
    Line(&'static str),
    /// A `<textarea>`.
    Text,
    /// A `<select>` of `(value, text)`.
    Choice(Fields),
}

impl Input {
    /// `field` of `table`, with its label, as a text input. Panics (fails
    /// to compile, in a constant) when the table has no such field.
    pub const fn of(table: Fields, field: &'static str) -> Input {
        let mut i = 0;
        while i < table.len() {
            if same(table[i].0, field) {
                return Input::new(table[i].0, table[i].1);
            }
            i += 1;
        }
        panic!("the model's field table has no such field");
    }

    /// A field that is not in the model's table (a card's address, a new
    /// client's id).
    pub const fn new(field: &'static str, label: &'static str) -> Input {
        Input { field, label, kind: Kind::Line("text"), hint: "", required: false }
    }

    /// An `<input type=…>` other than text: `email`, `tel`, `date`, `color`.
    pub const fn typed(self, input_type: &'static str) -> Input {
        Input { kind: Kind::Line(input_type), ..self }
    }

    pub const fn multiline(self) -> Input {
        Input { kind: Kind::Text, ..self }
    }

    pub const fn choice(self, options: Fields) -> Input {
        Input { kind: Kind::Choice(options), ..self }
    }

    pub const fn hint(self, hint: &'static str) -> Input {
        Input { hint, ..self }
    }

    pub const fn required(self) -> Input {
        Input { required: true, ..self }
    }
}

const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// One line of a form.
pub enum Line {
    /// A field on a line of its own.
    One(Input),
    /// Fields side by side.
    Row(&'static [Input]),
    /// A `<fieldset>` with its legend.
    Group(&'static str, &'static [Line]),
    /// A control of the page's own among the fields (the card's "Fill from
    /// my profile").
    Control(fn(EditorState) -> AnyView),
}

/// Whether `layout` shows `field`.
pub const fn shows(layout: &[Line], field: &str) -> bool {
    let mut i = 0;
    while i < layout.len() {
        let found = match &layout[i] {
            Line::One(input) => same(input.field, field),
            Line::Row(inputs) => {
                let mut j = 0;
                while j < inputs.len() && !same(inputs[j].field, field) {
                    j += 1;
                }
                j < inputs.len()
            }
            Line::Group(_, lines) => shows(lines, field),
            Line::Control(_) => false,
        };
        if found {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether `layout` shows every field of `table`: assert it in a constant
/// beside each layout, so a field added to the model cannot be left out.
pub const fn shows_all(layout: &[Line], table: Fields) -> bool {
    let mut i = 0;
    while i < table.len() {
        if !shows(layout, table[i].0) {
            return false;
        }
        i += 1;
    }
    true
}

/// The inputs of a form, bound to `state` and posted as `{form}[{field}]`,
/// laid out by `layout` (all `fields` side by side without one); each
/// error beside its field, any other below them all.
#[component]
pub fn FormFields(
    state: EditorState,
    form: &'static str,
    fields: Fields,
    #[prop(into)] layout: Option<&'static [Line]>,
    #[prop(into)] error: Signal<Option<AppError>>,
    #[prop(optional, into)] id_prefix: String,
) -> AnyView {
    let bound = Bound { state, form, error, id_prefix: Arc::from(id_prefix) };
    let lines = match layout {
        Some(layout) => layout.iter().map(|line| bound.line(line)).collect_view().into_any(),
        None => bound.row(fields.iter().map(|(field, label)| Input::new(field, label))),
    };
    let shown = move |field: &str| match layout {
        Some(layout) => shows(layout, field),
        None => fields.iter().any(|(name, _)| *name == field),
    };
    view! {
        {lines}
        {form_error(error, shown)}
    }
    .into_any()
}

/// What every input of one form shares.
struct Bound {
    state: EditorState,
    form: &'static str,
    error: Signal<Option<AppError>>,
    id_prefix: Arc<str>,
}

impl Bound {
    fn line(&self, line: &Line) -> AnyView {
        match line {
            Line::One(input) => self.input(*input),
            Line::Row(inputs) => self.row(inputs.iter().copied()),
            Line::Group(legend, lines) => view! {
                <fieldset>
                    <legend>{*legend}</legend>
                    {lines.iter().map(|line| self.line(line)).collect_view()}
                </fieldset>
            }
            .into_any(),
            Line::Control(control) => control(self.state),
        }
    }

    fn row(&self, inputs: impl Iterator<Item = Input>) -> AnyView {
        view! { <div class="field-row">{inputs.map(|input| self.input(input)).collect_view()}</div> }.into_any()
    }

    fn input(&self, input: Input) -> AnyView {
        let Input { field, label, kind, hint, required } = input;
        let state = self.state;
        let error = self.error;
        let id = format!("{}field-{field}", self.id_prefix);
        let error_id = format!("{id}-error");
        let name = format!("{}[{field}]", self.form);
        let message = Signal::derive(move || error.get().and_then(|e| e.message_for(field)));
        let invalid = move || if message.get().is_some() { "true" } else { "false" };
        let value = move || state.get(field);
        let set = move |ev: web_sys::Event| state.set(field, event_target_value(&ev));
        let control = match kind {
            Kind::Text => view! {
                <textarea id=id.clone() name=name rows="2" aria-invalid=invalid aria-describedby=error_id.clone()
                    prop:value=value on:input=set
                >{state.get(field)}</textarea>
            }
            .into_any(),
            Kind::Line(input_type) => view! {
                <input id=id.clone() name=name type=input_type required=required
                    aria-invalid=invalid aria-describedby=error_id.clone()
                    value=state.get(field)
                    prop:value=value on:input=set />
            }
            .into_any(),
            Kind::Choice(options) => view! {
                <select id=id.clone() name=name aria-describedby=error_id.clone() prop:value=value on:change=set>
                    {options.iter().map(|(value, text)| {
                        let selected = state.values.with_untracked(|v| v.get(field).map(String::as_str) == Some(*value));
                        view! { <option value=*value selected=selected>{*text}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any(),
        };
        labelled(id, error_id, label, hint, message, control)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: Fields = &[("name", "Name"), ("email", "Email"), ("bio", "Bio")];

    #[test]
    fn a_layout_shows_the_fields_it_names_in_rows_and_groups() {
        const LAYOUT: &[Line] = &[
            Line::Row(&[Input::of(TABLE, "name"), Input::of(TABLE, "email").typed("email")]),
            Line::Group("About", &[Line::One(Input::of(TABLE, "bio").multiline())]),
        ];
        assert!(shows(LAYOUT, "bio") && shows(LAYOUT, "email"));
        assert!(!shows(LAYOUT, "phone"));
        assert!(shows_all(LAYOUT, TABLE));
        assert!(!shows_all(&LAYOUT[..1], TABLE), "the bio is left out");
        let input = Input::of(TABLE, "email").hint("Work address").required();
        assert_eq!((input.label, input.hint, input.required), ("Email", "Work address", true));
    }

    #[test]
    #[should_panic(expected = "no such field")]
    fn a_field_the_model_does_not_have_is_refused() {
        Input::of(TABLE, "phone");
    }
}
