//! The `AWS::LanguageExtensions` transform's `Fn::ForEach`, expanded before anything else reads
//! the template, as CloudFormation does when it processes the transform:
//!
//! ```yaml
//! Fn::ForEach::LoopName:
//!   - Identifier
//!   - [A, B]                     # or !Ref to a list parameter
//!   - ${Identifier}Alarm: {...}  # the fragment, once per item
//! ```
//!
//! In the fragment, every `${Identifier}` in a key or a string becomes the item, `&{Identifier}`
//! the item without its non-alphanumeric characters, and `!Ref Identifier` the item itself. Loops
//! nest, and may appear in `Conditions`, `Resources` (also inside a resource) and `Outputs`. The
//! transform also lets `Ref`, `Fn::GetAtt` and a resource's `Condition` name their target with an
//! intrinsic: a `!Sub` that the items left without variables is folded to the name it spells, so
//! `{Ref: !Sub "${Function}Function"}` reads as `!Ref IngestFunction`.

use anyhow::{bail, ensure, Context};
use serde_norway::value::{Tag, TaggedValue};
use serde_norway::{Mapping, Value};

use super::intrinsics::{intrinsic, scalar, Evaluated, Evaluator};

const FOR_EACH: &str = "Fn::ForEach::";
const TRANSFORM: &str = "AWS::LanguageExtensions";
const SECTIONS: [&str; 3] = ["Conditions", "Resources", "Outputs"];

/// The template with every `Fn::ForEach` replaced by its outputs, if it declares the transform.
pub(super) fn expand(mut doc: Value, evaluator: &Evaluator) -> anyhow::Result<Value> {
    if !declares_transform(&doc) {
        for section in SECTIONS {
            if let Some(Value::Mapping(entries)) = doc.get(section) {
                let first = entries
                    .keys()
                    .filter_map(Value::as_str)
                    .find(|k| is_loop(k));
                if let Some(key) = first {
                    bail!("{section}: {key} needs `Transform: {TRANSFORM}`");
                }
            }
        }
        return Ok(doc);
    }
    for section in SECTIONS {
        if let Some(value) = doc.get_mut(section) {
            let Value::Mapping(entries) = std::mem::take(value) else {
                bail!("{section} must be a mapping");
            };
            let expanded = Expander { evaluator }
                .mapping(entries, &mut Vec::new())
                .with_context(|| section.to_owned())?;
            *value = fold_names(Value::Mapping(expanded));
        }
    }
    Ok(doc)
}

fn declares_transform(doc: &Value) -> bool {
    match doc.get("Transform") {
        Some(Value::String(name)) => name == TRANSFORM,
        Some(Value::Sequence(names)) => names.iter().any(|n| n.as_str() == Some(TRANSFORM)),
        _ => false,
    }
}

fn is_loop(key: &str) -> bool {
    key.starts_with(FOR_EACH)
}

struct Expander<'a> {
    evaluator: &'a Evaluator,
}

impl Expander<'_> {
    /// Expands the loops among `entries` in place, and those nested in their values; `enclosing`
    /// holds the identifiers of the loops this mapping is inside.
    fn mapping(&self, entries: Mapping, enclosing: &mut Vec<String>) -> anyhow::Result<Mapping> {
        let mut out = Mapping::new();
        for (key, value) in entries {
            let Some(name) = key.as_str().filter(|k| is_loop(k)).map(str::to_owned) else {
                let value = self.value(value, enclosing)?;
                ensure!(
                    !out.contains_key(&key),
                    "{} is written twice (once by a Fn::ForEach)",
                    describe(&key)
                );
                out.insert(key, value);
                continue;
            };
            for (key, value) in self.one_loop(&name, value, enclosing)? {
                ensure!(
                    !out.contains_key(&key),
                    "{name} writes {}, which is already there",
                    describe(&key)
                );
                out.insert(key, value);
            }
        }
        Ok(out)
    }

    fn value(&self, value: Value, enclosing: &mut Vec<String>) -> anyhow::Result<Value> {
        Ok(match value {
            Value::Mapping(entries) => Value::Mapping(self.mapping(entries, enclosing)?),
            Value::Sequence(items) => Value::Sequence(
                items
                    .into_iter()
                    .map(|item| self.value(item, enclosing))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Value::Tagged(tagged) => Value::Tagged(Box::new(TaggedValue {
                tag: tagged.tag,
                value: self.value(tagged.value, enclosing)?,
            })),
            scalar => scalar,
        })
    }

    /// `[Identifier, Collection, {OutputKey: OutputValue}]`: the fragment once per item.
    fn one_loop(
        &self,
        name: &str,
        value: Value,
        enclosing: &mut Vec<String>,
    ) -> anyhow::Result<Mapping> {
        let Value::Sequence(parts) = value else {
            bail!("{name} takes [identifier, collection, fragment]")
        };
        let Ok([identifier, collection, Value::Mapping(fragment)]) = <[Value; 3]>::try_from(parts)
        else {
            bail!("{name} takes [identifier, collection, fragment]")
        };
        let identifier = identifier
            .as_str()
            .filter(|i| !i.is_empty())
            .with_context(|| format!("{name}: the identifier must be a name"))?
            .to_owned();
        ensure!(
            !self.evaluator.is_parameter(&identifier),
            "{name}: the identifier {identifier} is also a parameter's name"
        );
        ensure!(
            !enclosing.contains(&identifier),
            "{name}: the identifier {identifier} is already an enclosing loop's"
        );
        for key in fragment.keys() {
            let key = key
                .as_str()
                .with_context(|| format!("{name}: a fragment key is not a string"))?;
            ensure!(
                is_loop(key)
                    || key.contains(&format!("${{{identifier}}}"))
                    || key.contains(&format!("&{{{identifier}}}")),
                "{name}: the key {key} names no ${{{identifier}}} or &{{{identifier}}}, so every \
                 item would write the same key"
            );
        }
        let items = self
            .collection(&collection)
            .with_context(|| format!("{name}: the collection"))?;
        let mut out = Mapping::new();
        enclosing.push(identifier.clone());
        for item in items {
            let body = substitute(Value::Mapping(fragment.clone()), &identifier, &item);
            let Value::Mapping(body) = body else {
                unreachable!("substituting in a mapping keeps a mapping")
            };
            for (key, value) in self.mapping(body, enclosing)? {
                ensure!(
                    !out.contains_key(&key),
                    "{name} writes {} for two items",
                    describe(&key)
                );
                out.insert(key, value);
            }
        }
        enclosing.pop();
        Ok(out)
    }

    /// A list of scalars, or `!Ref` to a parameter whose value is a comma-separated list.
    fn collection(&self, collection: &Value) -> anyhow::Result<Vec<String>> {
        if let Value::Sequence(items) = collection {
            return items
                .iter()
                .map(|item| scalar(item).context("an item is not a string"))
                .collect();
        }
        match intrinsic(collection) {
            Some((function, Value::String(name))) if function == "Ref" => {
                match self.evaluator.evaluate(collection)? {
                    Evaluated::Text(list) => {
                        Ok(list.split(',').map(|item| item.trim().to_owned()).collect())
                    }
                    Evaluated::Unresolvable(why) => bail!("{why}"),
                    _ => bail!("!Ref {name} is not a parameter"),
                }
            }
            _ => bail!("must be a list or !Ref to a list parameter"),
        }
    }
}

/// The fragment for one item: `${identifier}` and `&{identifier}` in every key and string, and
/// `!Ref identifier` replaced.
fn substitute(value: Value, identifier: &str, item: &str) -> Value {
    if refers_to(&value, identifier) {
        return Value::String(item.to_owned());
    }
    match value {
        Value::String(text) => Value::String(substitute_text(&text, identifier, item)),
        Value::Sequence(items) => Value::Sequence(
            items
                .into_iter()
                .map(|v| substitute(v, identifier, item))
                .collect(),
        ),
        Value::Mapping(entries) => Value::Mapping(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        substitute(k, identifier, item),
                        substitute(v, identifier, item),
                    )
                })
                .collect(),
        ),
        Value::Tagged(tagged) => Value::Tagged(Box::new(TaggedValue {
            tag: tagged.tag,
            value: substitute(tagged.value, identifier, item),
        })),
        other => other,
    }
}

fn refers_to(value: &Value, identifier: &str) -> bool {
    matches!(intrinsic(value), Some((function, Value::String(name)))
        if function == "Ref" && name == identifier)
}

fn substitute_text(text: &str, identifier: &str, item: &str) -> String {
    let alphanumeric: String = item.chars().filter(char::is_ascii_alphanumeric).collect();
    text.replace(&format!("${{{identifier}}}"), item)
        .replace(&format!("&{{{identifier}}}"), &alphanumeric)
}

/// `Ref`, `Fn::GetAtt` and resource `Condition`s whose target is a `!Sub` without variables
/// left, folded to the plain form CloudFormation reads after the transform.
fn fold_names(value: Value) -> Value {
    let value = match value {
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(fold_names).collect()),
        Value::Mapping(entries) => Value::Mapping(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let value = fold_names(value);
                    let value = match (key.as_str(), literal_sub(&value)) {
                        (Some("Condition"), Some(name)) => Value::String(name),
                        _ => value,
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Tagged(tagged) => Value::Tagged(Box::new(TaggedValue {
            tag: tagged.tag,
            value: fold_names(tagged.value),
        })),
        other => other,
    };
    match intrinsic(&value) {
        Some((function, target)) if function == "Ref" => match literal_sub(target) {
            Some(name) => tagged("Ref", name),
            None => value,
        },
        Some((function, Value::Sequence(parts))) if function == "Fn::GetAtt" => {
            match parts.as_slice() {
                [resource, attribute] if literal_sub(resource).is_some() => {
                    let resource = literal_sub(resource).unwrap_or_default();
                    match scalar(attribute).or_else(|| literal_sub(attribute)) {
                        Some(attribute) => tagged("GetAtt", format!("{resource}.{attribute}")),
                        None => value,
                    }
                }
                _ => value,
            }
        }
        _ => value,
    }
}

/// `!Sub "Name"` without any `${…}` left: the name it spells.
fn literal_sub(value: &Value) -> Option<String> {
    match intrinsic(value)? {
        (function, Value::String(text)) if function == "Fn::Sub" && !text.contains("${") => {
            Some(text.clone())
        }
        _ => None,
    }
}

fn tagged(tag: &str, text: String) -> Value {
    Value::Tagged(Box::new(TaggedValue {
        tag: Tag::new(tag),
        value: Value::String(text),
    }))
}

fn describe(key: &Value) -> String {
    key.as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{key:?}"))
}
