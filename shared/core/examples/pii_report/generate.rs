//! Generated labelled calls: every type in every form the engine claims to read (digits,
//! grouped digits, spoken digits with "double" and "oh", spelled letters, spoken e-mails, cues
//! in the agent's question or the customer's answer, values split over turns), among ordinary
//! sales-call lines holding prices, counts, times and years that must survive.

use callscope_core::redaction::validators;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|i| {
                char::from(
                    b'0' + if i == 0 {
                        1 + self.below(9)
                    } else {
                        self.below(10)
                    } as u8,
                )
            })
            .collect()
    }
}

const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// Digits read out one by one, with "oh" for some zeros and "double" for some pairs.
fn spoken(rng: &mut Rng, digits: &str) -> String {
    let d: Vec<usize> = digits.bytes().map(|b| usize::from(b - b'0')).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < d.len() {
        if i + 1 < d.len() && d[i] == d[i + 1] && rng.below(2) == 0 {
            out.push(format!("double {}", WORDS[d[i]]));
            i += 2;
            continue;
        }
        out.push(if d[i] == 0 && rng.below(2) == 0 {
            "oh".to_owned()
        } else {
            WORDS[d[i]].to_owned()
        });
        i += 1;
    }
    out.join(" ")
}

fn grouped(digits: &str, sizes: &[usize], sep: &str) -> String {
    let mut out = Vec::new();
    let mut at = 0;
    for s in sizes {
        out.push(&digits[at..(at + s).min(digits.len())]);
        at += s;
    }
    if at < digits.len() {
        out.push(&digits[at..]);
    }
    out.join(sep)
}

/// A number in one of its forms: plain, grouped by spaces or dashes, or spoken.
fn form(rng: &mut Rng, digits: &str, sizes: &[usize], which: usize) -> String {
    match which % 4 {
        0 => digits.to_owned(),
        1 => grouped(digits, sizes, " "),
        2 => grouped(digits, sizes, "-"),
        _ => spoken(rng, digits),
    }
}

/// `prefix` and the check digit that makes it pass the redactor's own Luhn validator.
fn luhn_complete(prefix: &str) -> String {
    (0..10)
        .map(|last| format!("{prefix}{last}"))
        .find(|candidate| validators::luhn(candidate))
        .expect("one last digit always completes a Luhn number")
}

fn aba(rng: &mut Rng) -> String {
    loop {
        let prefix = ["02", "01", "11", "26", "06", "07"][rng.below(6)];
        let d = format!("{prefix}{}", rng.digits(7).replace(|_: char| false, ""));
        let v: Vec<u32> = d.bytes().map(|b| u32::from(b - b'0')).collect();
        if (3 * (v[0] + v[3] + v[6]) + 7 * (v[1] + v[4] + v[7]) + v[2] + v[5] + v[8]) % 10 == 0 {
            return d;
        }
    }
}

const FILLER: [&str; 10] = [
    "Agent: Our pricing is sixty dollars per seat per month, with a discount for annual plans.",
    "Customer: We have forty reps across two regions.",
    "Agent: Let's meet at 10:30 on Tuesday, does that work?",
    "Customer: We grew 25 percent in 2024 and hired 12 people.",
    "Agent: I'll send you the proposal and a short ROI summary by Friday.",
    "Customer: We currently use Salesforce and a lot of spreadsheets.",
    "Agent: The renewal is on March 3rd, and the plan is $1,200 per year.",
    "Customer: Can you call back in 15 minutes? I have a meeting with Acme.",
    "Agent: Most customers are live within two weeks, version 3.2 ships in June.",
    "Customer: Our order number was 5521 and the invoice total was 340 dollars.",
];

const FIRST: [&str; 12] = [
    "Dana", "Priya", "Marcus", "Elena", "Tom", "Aisha", "Kevin", "Laura", "Sam", "Olga", "Diego",
    "Megan",
];
const LAST: [&str; 12] = [
    "Whitfield",
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Brennan",
    "Castillo",
    "Novak",
    "Haddad",
    "Fischer",
    "Quinn",
    "Ostrowski",
    "Delgado",
];
const STREETS: [&str; 8] = [
    "Elm Street",
    "Maple Avenue",
    "Oak Drive",
    "Harbor Road",
    "Cedar Lane",
    "Birch Court",
    "Lakeview Boulevard",
    "Mill Way",
];
const TOWNS: [(&str, &str, &str); 6] = [
    ("Springfield", "Illinois", "62704"),
    ("Austin", "TX", "78701"),
    ("Portland", "Oregon", "97205"),
    ("Columbus", "OH", "43215"),
    ("Tampa", "Florida", "33602"),
    ("Denver", "CO", "80202"),
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn scenario(rng: &mut Rng, kind: usize, form_no: usize) -> Vec<String> {
    let f = form_no;
    let first = FIRST[rng.below(12)];
    let last = LAST[rng.below(12)];
    match kind {
        0 => {
            let n = 8 + rng.below(5);
            let d = rng.digits(n);
            let v = form(rng, &d, &[4, 4, 4], f);
            match f % 3 {
                0 => vec![format!(
                    "Customer: My account number is [[bank_account_number|{v}]]."
                )],
                1 => vec![
                    "Agent: Can I get the account number, please?".into(),
                    format!("Customer: Sure, it's [[bank_account_number|{v}]]."),
                ],
                _ => vec![format!(
                    "Customer: The account is [[bank_account_number|{v}]], I think."
                )],
            }
        }
        1 => {
            let d = format!(
                "{}{}{}",
                100 + rng.below(565),
                10 + rng.below(89),
                1000 + rng.below(8999)
            );
            match f % 4 {
                0 => vec![format!(
                    "Customer: It's [[ssn|{}]].",
                    grouped(&d, &[3, 2], "-")
                )],
                1 => vec![format!(
                    "Customer: My social is [[ssn|{}]].",
                    grouped(&d, &[3, 2], " ")
                )],
                2 => vec![
                    "Agent: Can you verify your social security number?".into(),
                    format!("Customer: [[ssn|{}]].", spoken(rng, &d)),
                ],
                _ => vec![
                    "Agent: And the last four of your social?".into(),
                    format!("Customer: [[ssn|{}]].", form(rng, &d[5..], &[4], f / 4)),
                ],
            }
        }
        2 => {
            let d = if f % 5 == 4 {
                luhn_complete(&format!("37{}", rng.digits(12)))
            } else {
                luhn_complete(&format!("4{}", rng.digits(14)))
            };
            let sizes: &[usize] = if d.len() == 15 {
                &[4, 6, 5]
            } else {
                &[4, 4, 4, 4]
            };
            let v = form(rng, &d, sizes, f);
            match f % 3 {
                0 => vec![format!(
                    "Customer: The card number is [[credit_debit_number|{v}]]."
                )],
                1 => vec![
                    "Agent: What's the long number on the card?".into(),
                    format!("Customer: [[credit_debit_number|{v}]]"),
                ],
                _ => vec![format!("Customer: Use [[credit_debit_number|{v}]] please.")],
            }
        }
        3 => {
            let d = rng.digits(3 + f % 2);
            let v = if f % 2 == 0 {
                d.clone()
            } else {
                spoken(rng, &d)
            };
            match f % 3 {
                0 => vec![format!(
                    "Customer: The security code is [[credit_debit_cvv|{v}]]."
                )],
                1 => vec![
                    "Agent: And the three digits on the back?".into(),
                    format!("Customer: [[credit_debit_cvv|{v}]]."),
                ],
                _ => vec![format!("Customer: CVV [[credit_debit_cvv|{v}]].")],
            }
        }
        4 => {
            let m = 1 + rng.below(12);
            let y = 26 + rng.below(6);
            let v = match f % 4 {
                0 => format!("{m:02}/{y}"),
                1 => format!(
                    "{} {}",
                    spoken(rng, &format!("{m:02}")),
                    [
                        "twenty six",
                        "twenty seven",
                        "twenty eight",
                        "twenty nine",
                        "thirty",
                        "thirty one"
                    ][y - 26]
                ),
                2 => format!("{} 20{y}", MONTHS[m - 1]),
                _ => format!("{m:02}{y}"),
            };
            match f % 3 {
                0 => vec![format!("Customer: It expires [[credit_debit_expiry|{v}]].")],
                1 => vec![
                    "Agent: And the expiration date?".into(),
                    format!("Customer: [[credit_debit_expiry|{v}]]."),
                ],
                _ => vec![format!("Customer: Expiry is [[credit_debit_expiry|{v}]].")],
            }
        }
        5 => {
            let d = rng.digits(4 + (f % 3));
            let v = if f % 2 == 0 {
                d.clone()
            } else {
                spoken(rng, &d)
            };
            match f % 3 {
                0 => vec![format!("Customer: My PIN is [[pin|{v}]].")],
                1 => vec![
                    "Agent: Can you confirm the PIN on the account?".into(),
                    format!("Customer: Yes, [[pin|{v}]]."),
                ],
                _ => vec![format!("Customer: The passcode is [[pin|{v}]].")],
            }
        }
        6 => {
            let d = aba(rng);
            let v = form(rng, &d, &[3, 3, 3], f);
            match f % 2 {
                0 => vec![format!(
                    "Customer: The routing number is [[bank_routing|{v}]]."
                )],
                _ => vec![
                    "Agent: What's the bank routing number?".into(),
                    format!("Customer: It's [[bank_routing|{v}]]."),
                ],
            }
        }
        7 => {
            let area = format!("{}", 201 + rng.below(700));
            let rest = format!("{}{}", 200 + rng.below(700), 1000 + rng.below(8999));
            match f % 6 {
                0 => vec![format!(
                    "Customer: You can reach me at [[phone|({area}) {}-{}]].",
                    &rest[..3],
                    &rest[3..]
                )],
                1 => vec![format!(
                    "Customer: It's [[phone|{area}-{}-{}]].",
                    &rest[..3],
                    &rest[3..]
                )],
                2 => vec![
                    "Agent: What's the best number to reach you?".into(),
                    format!(
                        "Customer: [[phone|{}]].",
                        spoken(rng, &format!("{area}{rest}"))
                    ),
                ],
                3 => vec![
                    format!("Customer: My number is [[phone#1|({area})]]"),
                    "Agent: Mm-hmm.".into(),
                    format!("Customer: [[phone#1|{}-{}]].", &rest[..3], &rest[3..]),
                ],
                4 => vec![format!(
                    "Customer: Call me on [[phone|+44 20 {} {}]].",
                    &rest[..4],
                    &rest[3..7]
                )],
                _ => vec![
                    format!(
                        "Customer: My cell is [[phone#1|{}]], then",
                        spoken(rng, &area)
                    ),
                    format!("Customer: [[phone#1|{}]].", spoken(rng, &rest)),
                ],
            }
        }
        8 => {
            let domain = rng.pick(&["gmail", "outlook", "example", "yahoo"]);
            match f % 4 {
                0 => vec![format!(
                    "Customer: It's [[email|{}.{}@{domain}.com]].",
                    first.to_lowercase(),
                    last.to_lowercase()
                )],
                1 => vec![format!(
                    "Customer: My email is [[email|{} dot {} at {domain} dot com]].",
                    first.to_lowercase(),
                    last.to_lowercase()
                )],
                2 => {
                    let spelled: Vec<String> = last
                        .chars()
                        .map(|c| c.to_ascii_uppercase().to_string())
                        .collect();
                    vec![format!(
                        "Customer: It's [[email|{} at {domain} dot com]].",
                        spelled.join(" ")
                    )]
                }
                _ => vec![format!(
                    "Customer: Send it to [[email|{}{} at {domain}.com]].",
                    first.to_lowercase(),
                    rng.below(99)
                )],
            }
        }
        9 => match f % 5 {
            0 => vec![format!("Customer: My name is [[name|{first} {last}]].")],
            1 => vec![format!(
                "Agent: Hi, this is [[name|{first}]] speaking, how can I help?"
            )],
            2 => vec![format!(
                "Agent: Thanks, Mr. [[name|{last}]]. Let me pull that up."
            )],
            3 => {
                let spelled: Vec<String> = last
                    .chars()
                    .map(|c| c.to_ascii_uppercase().to_string())
                    .collect();
                vec![format!(
                    "Customer: The last name is [[name|{last}]], [[name|{}]].",
                    spelled.join(" ")
                )]
            }
            _ => vec![format!(
                "Customer: Hi, I'm [[name|{first}]], I'm calling about my bill."
            )],
        },
        10 => {
            let (town, state, zip) = TOWNS[rng.below(6)];
            let street = STREETS[rng.below(8)];
            let n = 10 + rng.below(980);
            match f % 4 {
                0 => vec![format!(
                    "Customer: My address is [[address|{n} {street}, {town}, {state} {zip}]]."
                )],
                1 => vec![
                    format!("Customer: Ship it to [[address#1|{n} {street}]]."),
                    "Agent: And the city?".into(),
                    format!("Customer: [[address#1|{town}]]."),
                    "Agent: ZIP code?".into(),
                    format!("Customer: [[address#1|{state} {zip}]]."),
                ],
                2 => vec![format!(
                    "Customer: I live at [[address|{} {street}]].",
                    spoken(rng, &n.to_string())
                )],
                _ => vec![format!(
                    "Customer: It's [[address|{n} {street}, apartment {}]], in [[address|{town}]].",
                    1 + rng.below(20)
                )],
            }
        }
        _ => {
            let m = 1 + rng.below(12);
            let day = 1 + rng.below(28);
            let year = 1950 + rng.below(50);
            let v = match f % 3 {
                0 => format!("{} {day}, {year}", MONTHS[m - 1]),
                1 => format!("{m:02}/{day:02}/{year}"),
                _ => format!(
                    "{} {day} {}",
                    MONTHS[m - 1],
                    [
                        "nineteen eighty five",
                        "nineteen seventy two",
                        "nineteen ninety"
                    ][rng.below(3)]
                ),
            };
            match f % 2 {
                0 => vec![format!(
                    "Customer: My date of birth is [[date_of_birth|{v}]]."
                )],
                _ => vec![
                    "Agent: And can you confirm your date of birth?".into(),
                    format!("Customer: Sure, [[date_of_birth|{v}]]."),
                ],
            }
        }
    }
}

/// `per_form` calls for each type and form, each with filler turns around the PII.
pub fn calls(per_form: usize) -> String {
    let mut rng = Rng(25);
    let mut out = Vec::new();
    for kind in 0..12 {
        for form_no in 0..12 * per_form {
            let mut lines = vec![FILLER[rng.below(FILLER.len())].to_owned()];
            lines.extend(scenario(&mut rng, kind, form_no));
            lines.push(FILLER[rng.below(FILLER.len())].to_owned());
            out.push(lines.join("\n"));
        }
    }
    out.join("\n---\n")
}
