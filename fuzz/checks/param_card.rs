// The check of fuzz target `param_card` (fuzz/fuzz_targets/param_card.rs), shared with the replay
// test of the workspace (`include!`d there): panics on a crash, returns on any Ok or Err.

use diffhep_physics::collider::sm::{ParamCard, PARAM_NAMES};

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
        // Every parameter, from the list of names (so that a new parameter is written too).
        let toml: String = PARAM_NAMES
            .iter()
            .map(|name| {
                format!(
                    "{name} = {:?}\n",
                    card.get(name).expect("a listed parameter")
                )
            })
            .collect();
        let back = ParamCard::from_toml_str(&toml).expect("a written TOML card parses again");
        assert_eq!(back, card, "TOML round trip");
    }
}
