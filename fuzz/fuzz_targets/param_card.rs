//! Fuzz target for the param-card parsers `ParamCard::from_toml_str` and
//! `ParamCard::from_json_str` (physics/src/collider/sm.rs).
//!
//! The first byte picks the format (even: TOML, odd: JSON); the rest, if valid UTF-8, is the card.
//! A card that parses is serialised back (TOML and JSON) and must parse to an equal card.
//! A crash is a panic, abort, hang, out-of-memory or stack overflow in any of these calls; an
//! `Err` is the expected outcome for bad input.
#![no_main]

use diffhep_physics::collider::sm::ParamCard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let parsed = if sel % 2 == 0 {
        ParamCard::from_toml_str(text)
    } else {
        ParamCard::from_json_str(text)
    };
    if let Ok(card) = parsed {
        let json = serde_json::to_string(&card).expect("a valid card serialises to JSON");
        let back = ParamCard::from_json_str(&json).expect("a serialised card parses again");
        assert_eq!(back, card, "JSON round trip");
        let toml = format!(
            "MZ = {:?}\nWZ = {:?}\naEWM1 = {:?}\nGf = {:?}\nMT = {:?}\nWT = {:?}\nMH = {:?}\nWW = {:?}\n",
            card.MZ, card.WZ, card.aEWM1, card.Gf, card.MT, card.WT, card.MH, card.WW
        );
        let back = ParamCard::from_toml_str(&toml).expect("a written TOML card parses again");
        assert_eq!(back, card, "TOML round trip");
    }
});
