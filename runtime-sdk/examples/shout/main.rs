//! The smallest complete runtime: a `words` source and a `shout` sink implemented directly on
//! the SDK's traits. `cargo run --example shout -- "$(base64 -w0 connector.yml)"`.

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{
    Batch, ComponentContext, ComponentError, Components, Message, Runtime, Sink, Source, Written,
    async_trait, embed_connect,
};
use serde::Deserialize;

/// `words` sends each word of a sentence once, resuming after the last one delivered.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Words {
    sentence: String,
    #[serde(skip)]
    next: usize,
}

#[async_trait]
impl Source for Words {
    async fn poll(
        &mut self,
        _: &ComponentContext,
        _: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let Some(word) = self.sentence.split_whitespace().nth(self.next) else {
            return Ok(None); // finished: exit 0 once everything is delivered
        };
        self.next += 1;
        let cursor = Some(self.next.into());
        Ok(Some(Batch {
            messages: vec![Message::new(word.to_string())],
            cursor,
        }))
    }
}

/// `shout` prints each message in capitals and refuses empty ones.
struct Shout;

#[async_trait]
impl Sink for Shout {
    async fn write(
        &mut self,
        _: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let mut written = Written::all();
        for (i, m) in batch.iter().enumerate() {
            match std::str::from_utf8(&m.payload) {
                Ok(text) if !text.is_empty() => println!("{}!", text.to_uppercase()),
                _ => written.reject(i, "shout.empty", "nothing to shout"),
            }
        }
        Ok(written)
    }
}

fn components() -> Components {
    Components::new(embed_connect!(
        "$CARGO_MANIFEST_DIR/examples/shout/.connect"
    ))
    .source("words", |ctx: &ComponentContext| {
        let next = ctx.load_cursor()?.unwrap_or(0);
        Ok(Words {
            next,
            ..ctx.config()?
        })
    })
    .sink_on_stdout("shout", |_: &ComponentContext| Ok(Shout))
}

fn main() -> Result<(), EnvError> {
    Runtime::from_env()?.launch(components())
}
