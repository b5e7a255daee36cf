//! What a Rego file must be before regorus sees it. Array, set or object literals nested
//! deep take regorus (0.14) exponential time to parse (30 s and more at 20 levels), and a
//! lexer panic past column 65,535 was reported by fuzzing. Real policies are nowhere near
//! either bound, so driftd refuses such files naming the file and line instead. Inputs and
//! measurements: `testdata/regorus/README.md`.

use crate::Source;
use driftd_core::Error;

/// Characters in one line of Rego.
pub const MAX_LINE: usize = 4_096;
/// Brackets (`[`, `{`, `(`) open at once.
pub const MAX_NESTING: usize = 12;

pub fn check(s: &Source) -> Result<(), Error> {
    for (i, line) in s.text.lines().enumerate() {
        let n = line.chars().count();
        if n > MAX_LINE {
            return Err(Error::input(
                format!("{}:{}", s.path, i + 1),
                format!("a line of {n} characters; driftd takes Rego lines of up to {MAX_LINE} (split it)"),
            ));
        }
    }
    let mut depth = 0usize;
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = s.text.chars().peekable();
    while let Some(c) = chars.next() {
        col += 1;
        match c {
            '\n' => {
                line += 1;
                col = 0;
            }
            '#' => {
                // A comment runs to the end of the line.
                for c in chars.by_ref() {
                    if c == '\n' {
                        line += 1;
                        col = 0;
                        break;
                    }
                }
            }
            '"' => {
                while let Some(c) = chars.next() {
                    col += 1;
                    match c {
                        '\\' => {
                            chars.next();
                            col += 1;
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '`' => {
                for c in chars.by_ref() {
                    col += 1;
                    if c == '\n' {
                        line += 1;
                        col = 0;
                    }
                    if c == '`' {
                        break;
                    }
                }
            }
            '[' | '{' | '(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(Error::input(
                        format!("{}:{line}:{col}", s.path),
                        format!(
                            "brackets nested more than {MAX_NESTING} deep; driftd takes Rego nested up to {MAX_NESTING} (regorus parses deeper literals in exponential time): name the inner parts"
                        ),
                    ));
                }
            }
            ']' | '}' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}
