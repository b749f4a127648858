use super::*;

fn turns<'a>(lines: &'a [(&'a str, &'a str)]) -> Vec<LabelledTurn<'a>> {
    lines
        .iter()
        .map(|(label, text)| LabelledTurn { label, text })
        .collect()
}

#[test]
fn the_greeter_who_offers_help_is_the_agent_even_when_second() {
    let call = [
        ("spk_0", "Hi, I'm calling about my bill, I was charged twice."),
        ("spk_1", "Thanks for calling Northwind, this is Priya. I can help with that. Can I get your account number?"),
        ("spk_0", "Sure, it's on the letter somewhere."),
    ];
    let roles = assign(&turns(&call), &BTreeMap::new()).expect("turns");
    assert_eq!(roles.labels["spk_1"], Role::Agent);
    assert_eq!(roles.labels["spk_0"], Role::Customer);
    assert!(roles.inferred);
    assert!(roles.confidence > 0.95, "{roles:?}");
    assert!(!roles.low_confidence);
}
