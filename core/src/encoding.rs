//! Text encodings of input files. Windows PowerShell's `terraform show -json > plan.json`
//! writes UTF-16 with a byte-order mark, editors add UTF-8 BOMs: read UTF-8 with or without
//! a BOM and UTF-16 LE/BE with one; name the encoding of anything else.

use crate::error::{Error, Result};
use std::borrow::Cow;

/// The UTF-8 text of `bytes`, decoded from what its byte-order mark says.
pub fn decode<'a>(location: &str, bytes: &'a [u8]) -> Result<Cow<'a, [u8]>> {
    match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => Ok(Cow::Borrowed(rest)),
        [0x00, 0x00, 0xFE, 0xFF, ..] | [0xFF, 0xFE, 0x00, 0x00, ..] => Err(unsupported(location, "UTF-32")),
        [0xFF, 0xFE, rest @ ..] => utf16(location, rest, u16::from_le_bytes, "UTF-16 LE"),
        [0xFE, 0xFF, rest @ ..] => utf16(location, rest, u16::from_be_bytes, "UTF-16 BE"),
        // JSON opens with an ASCII character: a NUL beside it is UTF-16 without a mark.
        [a, 0x00, ..] | [0x00, a, ..] if a.is_ascii() => Err(unsupported(location, "UTF-16 without a byte-order mark")),
        _ => match std::str::from_utf8(bytes) {
            Ok(_) => Ok(Cow::Borrowed(bytes)),
            Err(e) => Err(Error::input(
                location,
                format!(
                    "is not UTF-8 text (byte 0x{:02X} at offset {}; Latin-1 or another legacy encoding?); save it as UTF-8",
                    bytes[e.valid_up_to()],
                    e.valid_up_to()
                ),
            )),
        },
    }
}

fn utf16(location: &str, body: &[u8], unit: fn([u8; 2]) -> u16, name: &str) -> Result<Cow<'static, [u8]>> {
    if !body.len().is_multiple_of(2) {
        return Err(Error::input(location, format!("{name} text with an odd number of bytes (truncated file?)")));
    }
    let units = body.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let text: String = char::decode_utf16(units)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| Error::input(location, format!("is not valid {name} ({e})")))?;
    Ok(Cow::Owned(text.into_bytes()))
}

fn unsupported(location: &str, encoding: &str) -> Error {
    Error::input(location, format!("is {encoding} text; save it as UTF-8 (or UTF-16 with a byte-order mark)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { vec![] };
        out.extend(s.encode_utf16().flat_map(u16::to_le_bytes));
        out
    }

    #[test]
    fn boms_and_utf16_decode_to_the_same_text() {
        let text = r#"{"version": 4, "name": "gpu-ü"}"#;
        let mut bom8 = vec![0xEF, 0xBB, 0xBF];
        bom8.extend(text.as_bytes());
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        for bytes in [text.as_bytes().to_vec(), bom8, utf16le(text, true), be] {
            assert_eq!(decode("f", &bytes).unwrap().as_ref(), text.as_bytes());
        }
    }

    #[test]
    fn other_encodings_are_named() {
        let e = decode("plan.json", &utf16le("{}", false)).unwrap_err();
        assert!(e.message.contains("UTF-16 without a byte-order mark"), "{e}");
        let e = decode("plan.json", &[0xFF, 0xFE, 0, 0, b'{', 0, 0, 0]).unwrap_err();
        assert!(e.message.contains("UTF-32"), "{e}");
        let e = decode("plan.json", b"{\"name\": \"caf\xe9\"}").unwrap_err();
        assert!(e.message.contains("not UTF-8") && e.message.contains("0xE9"), "{e}");
        assert_eq!(e.location, "plan.json");
    }
}
