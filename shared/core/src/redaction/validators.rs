//! Checksums and ranges that tell an identifier from any other digits: Luhn (payment cards),
//! the ABA routing checksum, SSN ranges, card expiry months.

/// The Luhn checksum every payment card number satisfies (13–19 digits).
pub fn luhn(digits: &str) -> bool {
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// An ABA routing transit number: nine digits, a Federal Reserve prefix (00–12, 21–32, 61–72,
/// 80) and the 3-7-1 checksum.
pub fn aba(digits: &str) -> bool {
    let d: Vec<u32> = digits.bytes().map(|b| u32::from(b - b'0')).collect();
    if d.len() != 9 {
        return false;
    }
    let prefix = d[0] * 10 + d[1];
    if !matches!(prefix, 0..=12 | 21..=32 | 61..=72 | 80) {
        return false;
    }
    let sum = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8]);
    sum % 10 == 0
}

/// A US Social Security number as the SSA issues them: area not 000, 666 or 900–999, group not
/// 00, serial not 0000.
pub fn ssn(digits: &str) -> bool {
    if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let area: u32 = digits[..3].parse().unwrap_or(0);
    area != 0 && area != 666 && area < 900 && &digits[3..5] != "00" && &digits[5..] != "0000"
}

/// A card expiry read as digits: `MYY`, `MMYY` or `MMYYYY` with a month 1–12.
pub fn expiry_digits(digits: &str) -> bool {
    let month = match digits.len() {
        3 => &digits[..1],
        4 | 6 => &digits[..2],
        _ => return false,
    };
    month.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m))
}

/// A date read as digits (`MMDDYYYY`, `DDMMYYYY`, `MMDDYY`, `YYYYMMDD`): some 1–12 month and
/// 1–31 day in it.
pub fn date_digits(digits: &str) -> bool {
    let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u32>().ok());
    let month = |v: Option<u32>| v.is_some_and(|m| (1..=12).contains(&m));
    let day = |v: Option<u32>| v.is_some_and(|d| (1..=31).contains(&d));
    match digits.len() {
        6 | 8 => {
            (month(num(0..2)) && day(num(2..4)))
                || (day(num(0..2)) && month(num(2..4)))
                || (digits.len() == 8 && month(num(4..6)) && day(num(6..8)))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validators_accept_real_shapes_and_refuse_near_misses() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert!(luhn("378282246310005"));
        assert!(aba("021000021"));
        assert!(aba("011000015"));
        assert!(!aba("021000022"));
        assert!(!aba("991000021"));
        assert!(ssn("123456789"));
        assert!(!ssn("666456789"));
        assert!(!ssn("923456789"));
        assert!(!ssn("123006789"));
        assert!(expiry_digits("0427"));
        assert!(expiry_digits("427"));
        assert!(!expiry_digits("1327"));
        assert!(date_digits("03141985"));
        assert!(!date_digits("99999999"));
    }
}
