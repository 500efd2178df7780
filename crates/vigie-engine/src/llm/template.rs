//! The chat template: from `tokenizer.chat_template` (Jinja), rendered with minijinja.
//!
//! Each model knows how its conversations are written (ChatML for SmolLM2 and Qwen, `[INST]`
//! for Mistral); the GGUF carries that knowledge as a Jinja template, so it is rendered with a
//! real Jinja engine rather than re-implemented per model. The system prompt stays under
//! Vigie's control: a conversation without one gets Vigie's, so that a template's own default
//! ("You are a helpful AI assistant named SmolLM…") never reaches the model; a template that
//! refuses the system role gets it folded into the first user turn.

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, State};
use serde::{Deserialize, Serialize};

use super::error::LlmError;

/// Who speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions (Vigie's).
    System,
    /// The agent.
    User,
    /// The model.
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who speaks.
    pub role: Role,
    /// What is said.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self {
            role: Role::System,
            content: content.into(),
        }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self {
            role: Role::User,
            content: content.into(),
        }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: Role::Assistant,
            content: content.into(),
        }
    }
}

/// Vigie's system prompt when the caller gives none.
pub const DEFAULT_SYSTEM_PROMPT: &str = "Tu es Vigie, l'assistant des agents des douanes françaises. Réponds en français, avec précision et concision.";

/// ChatML, for a GGUF without a template.
const CHATML: &str = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    bos: String,
    eos: String,
}

impl ChatTemplate {
    /// Compiles `source` (or ChatML when `None`); `bos`/`eos` are the texts of those tokens.
    pub fn new(source: Option<&str>, bos: &str, eos: &str) -> Result<Self, LlmError> {
        let source = match source {
            Some(s) => s.to_string(),
            None => {
                log::warn!("the model has no chat template: using ChatML");
                CHATML.to_string()
            }
        };
        let mut env = Environment::new();
        env.add_function("raise_exception", raise_exception);
        env.set_unknown_method_callback(python_methods);
        env.add_template_owned("chat", source)
            .map_err(|e| LlmError::Template(e.to_string()))?;
        Ok(Self {
            env,
            bos: bos.to_string(),
            eos: eos.to_string(),
        })
    }

    /// The prompt text for `messages`, ending with the assistant's turn opening.
    pub fn render(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        if messages.iter().all(|m| m.role != Role::User) {
            return Err(LlmError::InvalidRequest(
                "the conversation has no user message".into(),
            ));
        }
        let mut messages = messages.to_vec();
        if messages.first().map(|m| m.role) != Some(Role::System) {
            messages.insert(0, ChatMessage::system(DEFAULT_SYSTEM_PROMPT));
        }
        match self.render_raw(&messages) {
            Ok(text) => Ok(text),
            Err(first) => {
                // Some templates (Mistral's older ones) refuse the system role: fold it into the
                // first user message.
                let folded = fold_system(&messages);
                self.render_raw(&folded).map_err(|_| first)
            }
        }
    }

    fn render_raw(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        let template = self
            .env
            .get_template("chat")
            .map_err(|e| LlmError::Template(e.to_string()))?;
        template
            .render(minijinja::context! {
                messages => messages,
                add_generation_prompt => true,
                bos_token => self.bos,
                eos_token => self.eos,
            })
            .map_err(|e| LlmError::Template(e.to_string()))
    }
}

fn fold_system(messages: &[ChatMessage]) -> Vec<ChatMessage> {
    let system: Vec<&str> = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut out: Vec<ChatMessage> = messages
        .iter()
        .filter(|m| m.role != Role::System)
        .cloned()
        .collect();
    if let Some(first) = out.iter_mut().find(|m| m.role == Role::User) {
        first.content = format!("{}\n\n{}", system.join("\n\n"), first.content);
    }
    out
}

fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// The Python string methods chat templates use (`strip`, `startswith`…).
fn python_methods(_: &State, value: &Value, method: &str, args: &[Value]) -> Result<Value, Error> {
    let Some(s) = value.as_str() else {
        return Err(Error::from(ErrorKind::UnknownMethod));
    };
    let arg = |i: usize| args.get(i).and_then(|v| v.as_str()).map(str::to_string);
    let value = match method {
        "strip" => match arg(0) {
            Some(chars) => s.trim_matches(|c| chars.contains(c)).into(),
            None => s.trim().into(),
        },
        "lstrip" => s.trim_start().into(),
        "rstrip" => s.trim_end().into(),
        "upper" => s.to_uppercase().into(),
        "lower" => s.to_lowercase().into(),
        "startswith" => Value::from(arg(0).is_some_and(|p| s.starts_with(p.as_str()))),
        "endswith" => Value::from(arg(0).is_some_and(|p| s.ends_with(p.as_str()))),
        "replace" => match (arg(0), arg(1)) {
            (Some(from), Some(to)) => s.replace(from.as_str(), &to).into(),
            _ => return Err(Error::from(ErrorKind::InvalidOperation)),
        },
        "split" => {
            let parts: Vec<String> = match arg(0) {
                Some(sep) => s.split(sep.as_str()).map(str::to_string).collect(),
                None => s.split_whitespace().map(str::to_string).collect(),
            };
            Value::from(parts)
        }
        _ => return Err(Error::from(ErrorKind::UnknownMethod)),
    };
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_that_refuses_system_gets_it_folded_into_the_user_turn() {
        let source = "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}{{ raise_exception('no system') }}{% endif %}[INST] {{ m.content.strip() }} [/INST]{% endfor %}";
        let t = ChatTemplate::new(Some(source), "<s>", "</s>").expect("template");
        let text = t
            .render(&[
                ChatMessage::system("Règle."),
                ChatMessage::user("Question ? "),
            ])
            .expect("render");
        assert_eq!(text, "<s>[INST] Règle.\n\nQuestion ? [/INST]");
    }

    #[test]
    fn a_conversation_without_system_gets_vigie_s() {
        let t = ChatTemplate::new(None, "", "").expect("template");
        let text = t.render(&[ChatMessage::user("Bonjour")]).expect("render");
        assert!(text.starts_with("<|im_start|>system\nTu es Vigie"));
        assert!(text.ends_with("<|im_start|>assistant\n"));
    }
}
