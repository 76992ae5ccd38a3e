// The check of fuzz target `param_card` (fuzz/fuzz_targets/param_card.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep_physics::collider::sm::ParamCard;

/// Run the parser on `data` and exercise what it returns; panics only on a bug.
pub fn check(data: &[u8]) {
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
}
