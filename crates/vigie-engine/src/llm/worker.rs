//! The generation worker: one thread owns the model, callers hold a cheap handle.
//!
//! A model is large, stateful (its KV cache) and must not run on an async executor, so it
//! lives on a dedicated thread (the pattern of mistral.rs and kalosm). The thread loads the
//! model itself and reports "ready" or the load error through a handshake; then it serves jobs
//! one at a time from a channel. A caller's [`GenerationWorker::generate`] blocks its own
//! thread while text flows back through a per-job channel into the caller's sink, on the
//! caller's thread; a sink that says stop, or a [`CancelToken`] set from
//! anywhere, stops the job before its next token.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use super::error::LlmError;
use super::template::ChatMessage;
use super::{
    CancelToken, Generation, GenerationRequest, ModelInfo, SinkControl, TextGenerator, TokenSink,
};

enum Job {
    Generate {
        request: GenerationRequest,
        events: Sender<Event>,
    },
    Count {
        messages: Vec<ChatMessage>,
        reply: Sender<Result<usize, LlmError>>,
    },
    Run {
        task: Task,
    },
}

/// A closure run on the worker thread with the generator.
type Task = Box<dyn FnOnce(&mut dyn TextGenerator) + Send>;

enum Event {
    Token(String),
    Done(Result<Generation, LlmError>),
}

/// A handle on the thread that owns a [`TextGenerator`]. Cheap to clone, `Send + Sync`.
#[derive(Clone)]
pub struct GenerationWorker {
    jobs: Sender<Job>,
    info: Arc<ModelInfo>,
}

impl GenerationWorker {
    /// Starts the thread, which runs `load` and then serves jobs; returns once the model is
    /// loaded, or with the load error.
    pub fn spawn<F>(load: F) -> Result<Self, LlmError>
    where
        F: FnOnce() -> Result<Box<dyn TextGenerator>, LlmError> + Send + 'static,
    {
        let (ready_tx, ready_rx) = mpsc::channel::<Result<ModelInfo, LlmError>>();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        thread::Builder::new()
            .name("vigie-llm".into())
            .spawn(move || {
                let loaded = std::panic::catch_unwind(AssertUnwindSafe(load))
                    .unwrap_or_else(|_| Err(LlmError::Inference("panic while loading".into())));
                match loaded {
                    Ok(generator) => {
                        let _ = ready_tx.send(Ok(generator.model_info().clone()));
                        serve(generator, jobs_rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| LlmError::Inference(format!("cannot start the worker thread: {e}")))?;
        let info = ready_rx.recv().map_err(|_| LlmError::WorkerGone)??;
        Ok(Self {
            jobs: jobs_tx,
            info: Arc::new(info),
        })
    }

    /// What the model is.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Generates on the worker; `sink` is called on this thread. Blocks until done.
    pub fn generate(
        &self,
        request: GenerationRequest,
        sink: &mut dyn TokenSink,
    ) -> Result<Generation, LlmError> {
        let cancel: CancelToken = request.cancel.clone();
        let (events_tx, events_rx) = mpsc::channel();
        self.jobs
            .send(Job::Generate {
                request,
                events: events_tx,
            })
            .map_err(|_| LlmError::WorkerGone)?;
        for event in events_rx {
            match event {
                Event::Token(text) => {
                    if !cancel.is_cancelled() && sink.token(&text) == SinkControl::Stop {
                        cancel.cancel();
                    }
                }
                Event::Done(result) => return result,
            }
        }
        Err(LlmError::WorkerGone)
    }

    /// Tokens of the rendered prompt of `messages`.
    pub fn count_prompt_tokens(&self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        let (reply, rx) = mpsc::channel();
        self.jobs
            .send(Job::Count {
                messages: messages.to_vec(),
                reply,
            })
            .map_err(|_| LlmError::WorkerGone)?;
        rx.recv().map_err(|_| LlmError::WorkerGone)?
    }

    /// Computes the prompt of `messages` ahead of time on the worker (see
    /// [`TextGenerator::warm_up`]).
    pub fn warm_up(&self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        let messages = messages.to_vec();
        self.run(move |g| g.warm_up(&messages))?
    }

    /// Runs `task` on the worker thread with the generator (warm-up, benchmarks, tests) and
    /// returns its result.
    pub fn run<R, F>(&self, task: F) -> Result<R, LlmError>
    where
        R: Send + 'static,
        F: FnOnce(&mut dyn TextGenerator) -> R + Send + 'static,
    {
        let (reply, rx) = mpsc::channel();
        self.jobs
            .send(Job::Run {
                task: Box::new(move |generator| {
                    let _ = reply.send(task(generator));
                }),
            })
            .map_err(|_| LlmError::WorkerGone)?;
        rx.recv().map_err(|_| LlmError::WorkerGone)
    }
}

/// The worker's loop; ends when every handle is dropped, or after a panic (the model's state
/// can no longer be trusted).
fn serve(mut generator: Box<dyn TextGenerator>, jobs: Receiver<Job>) {
    for job in jobs {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| match job {
            Job::Generate { request, events } => {
                let mut sink = |text: &str| {
                    if events.send(Event::Token(text.to_string())).is_err() {
                        // The caller is gone: nobody reads the answer.
                        SinkControl::Stop
                    } else {
                        SinkControl::Continue
                    }
                };
                let result = generator.generate(&request, &mut sink);
                let _ = events.send(Event::Done(result));
            }
            Job::Count { messages, reply } => {
                let _ = reply.send(generator.count_prompt_tokens(&messages));
            }
            Job::Run { task } => task(generator.as_mut()),
        }));
        if outcome.is_err() {
            log::error!("the generation worker panicked; it stops");
            return;
        }
    }
}

impl TextGenerator for GenerationWorker {
    fn model_info(&self) -> &ModelInfo {
        &self.info
    }

    fn count_prompt_tokens(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        GenerationWorker::count_prompt_tokens(self, messages)
    }

    fn clear_cache(&mut self) {
        // A stopped worker has no cache left to clear.
        let _ = self.run(|g| g.clear_cache());
    }

    fn warm_up(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        GenerationWorker::warm_up(self, messages)
    }

    fn generate(
        &mut self,
        request: &GenerationRequest,
        sink: &mut dyn TokenSink,
    ) -> Result<Generation, LlmError> {
        GenerationWorker::generate(self, request.clone(), sink)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::{ScriptedGenerator, StopReason};

    fn assert_send_sync<T: Send + Sync + Clone>() {}

    #[test]
    fn the_handle_is_send_sync_and_clone() {
        assert_send_sync::<GenerationWorker>();
    }

    #[test]
    fn a_load_error_comes_back_through_the_handshake() {
        let result = GenerationWorker::spawn(|| Err(LlmError::FileMissing("x.gguf".into())));
        assert!(matches!(result, Err(LlmError::FileMissing(_))));
    }

    #[test]
    fn jobs_from_several_threads_are_served() {
        let worker = GenerationWorker::spawn(|| {
            Ok(Box::new(ScriptedGenerator::new(["Bon", "jour"])) as Box<dyn TextGenerator>)
        })
        .expect("spawn");
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let w = worker.clone();
                std::thread::spawn(move || {
                    let mut got = String::new();
                    let request = GenerationRequest::new(vec![ChatMessage::user("Salut")]);
                    let r = w
                        .generate(request, &mut |t: &str| {
                            got.push_str(t);
                            SinkControl::Continue
                        })
                        .expect("generate");
                    (got, r)
                })
            })
            .collect();
        for h in handles {
            let (got, r) = h.join().expect("thread");
            assert_eq!(got, "Bonjour");
            assert_eq!(r.text, "Bonjour");
            assert_eq!(r.stop, StopReason::EndOfTurn);
        }
    }
}
