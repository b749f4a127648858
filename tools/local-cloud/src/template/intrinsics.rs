//! The template's intrinsic functions, as far as they can be evaluated before anything exists:
//! `!Ref` to parameters (after overrides) and to the stack's pseudo parameters, `!If` over the
//! conditions (see `conditions`; only the chosen branch is evaluated, as CloudFormation does),
//! `!Sub`, `!Join`, `!Select` and `!Split` over those. What is known only once deployed, such as a resource's attribute, evaluates
//! to `Unresolvable` with the reason, so it fails where it is used rather than wherever it appears.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, ensure, Context};
use serde_norway::Value;

use super::Stack;

/// What a template value evaluates to before any resource exists.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Evaluated {
    /// Known from the template: a literal, a parameter, a pseudo parameter.
    Text(String),
    /// `!Ref` to a resource: its name or URL exists once the provisioner has created it.
    Resource(String),
    /// `!Ref AWS::NoValue`: the property is left out.
    NoValue,
    /// Known only once deployed; the reason says why.
    Unresolvable(String),
}

/// Parameters, pseudo parameters and conditions of one reading of the template.
#[derive(Debug, Clone)]
pub(super) struct Evaluator {
    parameters: BTreeMap<String, String>,
    /// Every declared parameter, so a `!Ref` to one without a value is not taken for a resource.
    declared: BTreeSet<String>,
    stack: Stack,
    /// Filled once by `evaluate_conditions`, in the `conditions` module.
    pub(super) conditions: BTreeMap<String, bool>,
}

impl Evaluator {
    /// Reads `Parameters` (defaults, then `overrides`); `evaluate_conditions` follows, once the
    /// transforms have written the conditions out.
    pub(super) fn new(
        doc: &Value,
        overrides: BTreeMap<String, String>,
        stack: Stack,
    ) -> anyhow::Result<Self> {
        let mut parameters = BTreeMap::new();
        let mut declared = BTreeSet::new();
        if let Some(Value::Mapping(params)) = doc.get("Parameters") {
            for (name, spec) in params {
                let name = name.as_str().context("a parameter name is not a string")?;
                declared.insert(name.to_owned());
                if let Some(default) = spec.get("Default").and_then(scalar) {
                    parameters.insert(name.to_owned(), default);
                }
            }
        }
        // As CloudFormation does: a misspelt override must not silently leave the default.
        for name in overrides.keys() {
            ensure!(
                declared.contains(name),
                "parameter override {name}: the template declares no such parameter"
            );
        }
        parameters.extend(overrides);
        // As CloudFormation does: a stack cannot be created without every parameter's value.
        let missing: Vec<&str> = declared
            .iter()
            .filter(|name| !parameters.contains_key(*name))
            .map(String::as_str)
            .collect();
        ensure!(
            missing.is_empty(),
            "parameters {missing:?} have no default and were given no value"
        );
        Ok(Self {
            parameters,
            declared,
            stack,
            conditions: BTreeMap::new(),
        })
    }

    /// Whether the template declares a parameter of this name.
    pub(super) fn is_parameter(&self, name: &str) -> bool {
        self.declared.contains(name)
    }

    pub(super) fn parameters(&self) -> &BTreeMap<String, String> {
        &self.parameters
    }

    pub(super) fn conditions(&self) -> &BTreeMap<String, bool> {
        &self.conditions
    }

    pub(super) fn condition(&self, name: &str) -> anyhow::Result<bool> {
        self.conditions
            .get(name)
            .copied()
            .with_context(|| format!("the template has no condition named {name}"))
    }

    /// Evaluates a property's value; malformed intrinsics are errors, unknowable values are not.
    pub(super) fn evaluate(&self, value: &Value) -> anyhow::Result<Evaluated> {
        if let Some(text) = scalar(value) {
            return Ok(Evaluated::Text(text));
        }
        let Some((function, arg)) = intrinsic(value) else {
            bail!("must be a scalar or an intrinsic function")
        };
        match function.as_str() {
            "Ref" => Ok(self.reference(arg.as_str().context("Ref takes a name")?)),
            "Fn::If" => {
                let Some([condition, if_true, if_false]) = arg.as_sequence().map(Vec::as_slice)
                else {
                    bail!("Fn::If takes [condition, value if true, value if false]")
                };
                let name = condition
                    .as_str()
                    .context("Fn::If takes a condition's name first")?;
                let holds = self.condition(name)?;
                let chosen = if holds { if_true } else { if_false };
                let branch = if holds { "true" } else { "false" };
                Ok(match self.evaluate(chosen).with_context(|| {
                    format!("the {branch} branch of Fn::If [{name}, …]")
                })? {
                    Evaluated::Unresolvable(why) => Evaluated::Unresolvable(format!(
                        "{why} (Fn::If took the branch for {name} = {holds})"
                    )),
                    known => known,
                })
            }
            "Fn::Sub" => self.sub(arg),
            "Fn::Join" => {
                let Some([delimiter, items]) = arg.as_sequence().map(Vec::as_slice) else {
                    bail!("Fn::Join takes [delimiter, [values]]")
                };
                let delimiter = delimiter.as_str().context("Fn::Join's delimiter is a string")?;
                Ok(match self.list(items).context("Fn::Join")? {
                    Ok(items) => Evaluated::Text(items.join(delimiter)),
                    Err(other) => other,
                })
            }
            "Fn::Select" => {
                let Some([index, items]) = arg.as_sequence().map(Vec::as_slice) else {
                    bail!("Fn::Select takes [index, [values]]")
                };
                let index: usize = match self.evaluate(index).context("Fn::Select's index")? {
                    Evaluated::Text(index) => index
                        .parse()
                        .with_context(|| format!("Fn::Select's index {index:?}"))?,
                    _ => bail!("Fn::Select's index must be a number"),
                };
                Ok(match self.list(items).context("Fn::Select")? {
                    Ok(items) => Evaluated::Text(
                        items
                            .get(index)
                            .with_context(|| {
                                format!("Fn::Select: no item {index} in {} items", items.len())
                            })?
                            .clone(),
                    ),
                    Err(other) => other,
                })
            }
            "Fn::GetAtt" => Ok(Evaluated::Unresolvable(match get_att(value) {
                Some((resource, attribute)) => format!(
                    "!GetAtt {resource}.{attribute} is an attribute of a resource, known only once deployed"
                ),
                None => "Fn::GetAtt names an attribute of a resource, known only once deployed".into(),
            })),
            other => Ok(Evaluated::Unresolvable(format!(
                "{other} is not evaluated by the local template reader"
            ))),
        }
    }

    /// A list: a sequence of values, or `!Split`. `Err` holds the first item that is not text.
    fn list(&self, value: &Value) -> anyhow::Result<Result<Vec<String>, Evaluated>> {
        if let Some(("Fn::Split", arg)) = intrinsic(value).as_ref().map(|(f, a)| (f.as_str(), *a)) {
            let Some([delimiter, text]) = arg.as_sequence().map(Vec::as_slice) else {
                bail!("Fn::Split takes [delimiter, string]")
            };
            let delimiter = delimiter
                .as_str()
                .context("Fn::Split's delimiter is a string")?;
            return Ok(match self.evaluate(text).context("Fn::Split")? {
                Evaluated::Text(text) => Ok(text.split(delimiter).map(str::to_owned).collect()),
                Evaluated::Resource(resource) => Err(Evaluated::Unresolvable(format!(
                    "Fn::Split of resource {resource}, known only once deployed"
                ))),
                other => Err(other),
            });
        }
        let items = value.as_sequence().context("must be a list or Fn::Split")?;
        let mut texts = Vec::new();
        for item in items {
            match self.evaluate(item)? {
                Evaluated::Text(text) => texts.push(text),
                Evaluated::NoValue => {}
                Evaluated::Resource(resource) => {
                    return Ok(Err(Evaluated::Unresolvable(format!(
                        "resource {resource} in a list, known only once deployed"
                    ))))
                }
                unresolvable @ Evaluated::Unresolvable(_) => return Ok(Err(unresolvable)),
            }
        }
        Ok(Ok(texts))
    }

    fn reference(&self, name: &str) -> Evaluated {
        match name {
            "AWS::StackName" => Evaluated::Text(self.stack.name.clone()),
            "AWS::StackId" => Evaluated::Text(self.stack.id()),
            "AWS::Region" => Evaluated::Text(self.stack.region.clone()),
            "AWS::NoValue" => Evaluated::NoValue,
            _ if name.starts_with("AWS::") => {
                Evaluated::Unresolvable(format!("the pseudo parameter {name} has no local value"))
            }
            _ => match self.parameters.get(name) {
                Some(value) => Evaluated::Text(value.clone()),
                None if self.declared.contains(name) => Evaluated::Unresolvable(format!(
                    "parameter {name} has no default and was given no value"
                )),
                None => Evaluated::Resource(name.to_owned()),
            },
        }
    }

    /// `!Sub "text ${Name}"` or `!Sub ["text ${Name}", {Name: value}]`.
    fn sub(&self, arg: &Value) -> anyhow::Result<Evaluated> {
        let (template, variables) = match arg {
            Value::Sequence(parts) => match parts.as_slice() {
                [template, Value::Mapping(variables)] => (template, Some(variables)),
                _ => bail!("Fn::Sub takes a string or [string, {{variables}}]"),
            },
            template => (template, None),
        };
        let template = template
            .as_str()
            .context("Fn::Sub's template must be a string")?;
        let mut text = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            text.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .with_context(|| format!("Fn::Sub: an unclosed ${{ in {template:?}"))?;
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(literal) = name.strip_prefix('!') {
                text.push_str(&format!("${{{literal}}}"));
                continue;
            }
            let value = match variables.and_then(|variables| variables.get(name)) {
                Some(value) => self
                    .evaluate(value)
                    .with_context(|| format!("Fn::Sub variable {name}"))?,
                None => match name.split_once('.') {
                    Some((resource, _)) => Evaluated::Unresolvable(format!(
                        "${{{name}}} is an attribute of resource {resource}, known only once deployed"
                    )),
                    None => self.reference(name),
                },
            };
            match value {
                Evaluated::Text(value) => text.push_str(&value),
                Evaluated::Resource(resource) => {
                    return Ok(Evaluated::Unresolvable(format!(
                        "${{{resource}}} names a resource, which the reader cannot substitute"
                    )))
                }
                Evaluated::NoValue => bail!("Fn::Sub: ${{{name}}} is AWS::NoValue"),
                unresolvable @ Evaluated::Unresolvable(_) => return Ok(unresolvable),
            }
        }
        text.push_str(rest);
        Ok(Evaluated::Text(text))
    }
}

/// `!Name arg`, or `{"Fn::Name": arg}` (`Ref` and `Condition` have no `Fn::`) -> (long name, arg).
pub fn intrinsic(value: &Value) -> Option<(String, &Value)> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let short = tag.trim_start_matches('!');
            let name = match short {
                "Ref" | "Condition" => short.to_owned(),
                _ => format!("Fn::{short}"),
            };
            Some((name, &tagged.value))
        }
        Value::Mapping(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next()?;
            let key = key.as_str()?;
            (key == "Ref" || key == "Condition" || key.starts_with("Fn::"))
                .then(|| (key.to_owned(), arg))
        }
        _ => None,
    }
}

pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `!Ref X` or `{Ref: X}`.
pub(super) fn reference(value: &Value) -> Option<String> {
    match intrinsic(value)? {
        (function, arg) if function == "Ref" => arg.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `!GetAtt X.Attr`, `!GetAtt [X, Attr]` or `{Fn::GetAtt: [X, Attr]}` -> (X, Attr).
pub(super) fn get_att(value: &Value) -> Option<(String, String)> {
    let (function, inner) = intrinsic(value)?;
    if function != "Fn::GetAtt" {
        return None;
    }
    match inner {
        Value::String(s) => s.split_once('.').map(|(a, b)| (a.to_owned(), b.to_owned())),
        Value::Sequence(parts) => Some((
            parts.first()?.as_str()?.to_owned(),
            parts.get(1)?.as_str()?.to_owned(),
        )),
        _ => None,
    }
}
