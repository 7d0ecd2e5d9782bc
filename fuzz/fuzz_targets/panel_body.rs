//! The panel API's JSON bodies, read and checked as the panel server does
//! before it acts. Byte 0 picks the body, the rest is the body. A sign-in
//! that reads writes back to JSON that reads the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use local_connector::panel::body;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else { return };
    match pick % 5 {
        0 => {
            if let Ok(login) = body::login(bytes) {
                let json = serde_json::to_vec(&login).expect("a login writes as JSON");
                let again = body::login(&json).expect("a written login reads back");
                assert_eq!(serde_json::to_value(&again).ok(), serde_json::to_value(&login).ok());
            }
        }
        1 => drop(body::release_ids(bytes)),
        2 => {
            if let Ok(transactions) = body::transactions(bytes) {
                for t in &transactions {
                    drop(t.check());
                }
            }
        }
        3 => drop(body::hp_context(bytes)),
        _ => {
            if let Ok(context) = body::prompt_context(bytes) {
                assert!((1..=256).contains(&context.len()));
            }
        }
    }
});
