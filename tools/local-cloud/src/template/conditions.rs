//! `Conditions` and `Rules`: evaluated once per reading of the template, from the parameters
//! (after overrides) and pseudo parameters, as CloudFormation does before it creates anything.

use anyhow::{bail, ensure, Context};
use serde_norway::{Mapping, Value};

use super::intrinsics::{intrinsic, scalar, Evaluated, Evaluator};

impl Evaluator {
    /// Evaluates every entry of `Conditions`, so a broken one is an error even if unused.
    pub(super) fn evaluate_conditions(&mut self, doc: &Value) -> anyhow::Result<()> {
        if let Some(Value::Mapping(definitions)) = doc.get("Conditions") {
            for name in definitions.keys() {
                let name = name.as_str().context("a condition name is not a string")?;
                self.named_condition(name, definitions, &mut Vec::new())?;
            }
        }
        Ok(())
    }

    /// Fails on the first assertion of an applicable rule that does not hold, with its
    /// description, as CloudFormation refuses such a parameter set before creating anything.
    pub(super) fn check_rules(&mut self, doc: &Value) -> anyhow::Result<()> {
        let Some(Value::Mapping(rules)) = doc.get("Rules") else {
            return Ok(());
        };
        let no_conditions = Mapping::new();
        for (name, rule) in rules {
            let name = name.as_str().context("a rule name is not a string")?;
            let applies = match rule.get("RuleCondition") {
                None => true,
                Some(condition) => self
                    .truth(condition, &no_conditions, &mut Vec::new())
                    .with_context(|| format!("rule {name}: RuleCondition"))?,
            };
            if !applies {
                continue;
            }
            let assertions = rule.get("Assertions").and_then(Value::as_sequence);
            for assertion in assertions.into_iter().flatten() {
                let holds = assertion
                    .get("Assert")
                    .context("an assertion needs Assert")
                    .and_then(|assert| self.truth(assert, &no_conditions, &mut Vec::new()))
                    .with_context(|| format!("rule {name}"))?;
                let description = assertion.get("AssertDescription").and_then(scalar);
                ensure!(
                    holds,
                    "rule {name}: {}",
                    description
                        .as_deref()
                        .unwrap_or("an assertion does not hold")
                );
            }
        }
        Ok(())
    }

    /// Evaluates a condition by name once; `visiting` catches conditions that refer in a circle.
    fn named_condition(
        &mut self,
        name: &str,
        definitions: &Mapping,
        visiting: &mut Vec<String>,
    ) -> anyhow::Result<bool> {
        if let Some(&known) = self.conditions.get(name) {
            return Ok(known);
        }
        ensure!(
            !visiting.iter().any(|v| v == name),
            "conditions refer to each other in a circle: {} -> {name}",
            visiting.join(" -> ")
        );
        let definition = definitions
            .get(name)
            .with_context(|| format!("the template has no condition named {name}"))?;
        visiting.push(name.to_owned());
        let holds = self
            .truth(definition, definitions, visiting)
            .with_context(|| format!("condition {name}"))?;
        visiting.pop();
        self.conditions.insert(name.to_owned(), holds);
        Ok(holds)
    }

    fn truth(
        &mut self,
        expression: &Value,
        definitions: &Mapping,
        visiting: &mut Vec<String>,
    ) -> anyhow::Result<bool> {
        let (function, arg) = intrinsic(expression)
            .context("a condition is Fn::Equals, Fn::Not, Fn::And, Fn::Or or Condition")?;
        if function == "Condition" {
            let name = arg.as_str().context("Condition takes a condition's name")?;
            return self.named_condition(name, definitions, visiting);
        }
        let operands = arg
            .as_sequence()
            .with_context(|| format!("{function} takes a list"))?;
        match (function.as_str(), operands.as_slice()) {
            ("Fn::Equals", [a, b]) => Ok(self.operand(a)? == self.operand(b)?),
            ("Fn::Not", [operand]) => Ok(!self.truth(operand, definitions, visiting)?),
            ("Fn::And" | "Fn::Or", operands) if (2..=10).contains(&operands.len()) => {
                // Every operand is evaluated, so a broken one is an error whatever the others.
                let mut values = Vec::with_capacity(operands.len());
                for operand in operands {
                    values.push(self.truth(operand, definitions, visiting)?);
                }
                Ok(if function == "Fn::And" {
                    values.iter().all(|&v| v)
                } else {
                    values.iter().any(|&v| v)
                })
            }
            ("Fn::Equals", _) => bail!("Fn::Equals takes two values"),
            ("Fn::Not", _) => bail!("Fn::Not takes one condition"),
            ("Fn::And" | "Fn::Or", _) => bail!("{function} takes 2 to 10 conditions"),
            (other, _) => bail!("{other} is not a condition function the local reader evaluates"),
        }
    }

    /// One side of `Fn::Equals`: a literal, a parameter or a pseudo parameter.
    fn operand(&self, value: &Value) -> anyhow::Result<String> {
        match self.evaluate(value).context("Fn::Equals")? {
            Evaluated::Text(text) => Ok(text),
            Evaluated::Unresolvable(why) => bail!("Fn::Equals: {why}"),
            Evaluated::Resource(name) => {
                bail!("Fn::Equals: {name} is neither a parameter nor a pseudo parameter")
            }
            Evaluated::NoValue => bail!("Fn::Equals: AWS::NoValue is not a value"),
        }
    }
}
