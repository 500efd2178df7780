//! Opening a GGUF file and checking it before anything is loaded from it.
//!
//! A damaged model must give a clear error, never a panic or a model that silently computes
//! garbage: the magic is checked first (a file that is not GGUF), then the header is parsed by
//! candle, then every tensor of the directory is checked to lie inside the file (a truncated
//! download). Only then are tensors read. Metadata accessors name the missing key in their
//! error, because a GGUF written by another converter may lack one.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use candle_core::Device;
use candle_core::quantized::QTensor;
use candle_core::quantized::gguf_file::{Content, Value};

use super::error::LlmError;

/// The transformer families this engine runs, from `general.architecture`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Llama layout: Mistral-7B-Instruct, Ministral, Mistral-Small, SmolLM2 (interleaved RoPE).
    Llama,
    /// Qwen2 layout: biases on q/k/v, NeoX RoPE.
    Qwen2,
}

impl Architecture {
    /// The metadata key prefix (`llama.`, `qwen2.`).
    pub fn key_prefix(self) -> &'static str {
        match self {
            Architecture::Llama => "llama",
            Architecture::Qwen2 => "qwen2",
        }
    }

    fn parse(name: &str) -> Result<Self, LlmError> {
        match name {
            "llama" => Ok(Architecture::Llama),
            "qwen2" => Ok(Architecture::Qwen2),
            other => Err(LlmError::UnsupportedArchitecture(other.to_string())),
        }
    }
}

/// A validated GGUF file: header parsed, tensors known to lie inside the file.
pub struct GgufFile {
    path: PathBuf,
    content: Content,
    reader: BufReader<File>,
    architecture: Architecture,
}

const GGUF_MAGIC: &[u8; 4] = b"GGUF";

impl GgufFile {
    /// Opens and checks `path`.
    pub fn open(path: &Path) -> Result<Self, LlmError> {
        let io = |source: std::io::Error| LlmError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(LlmError::FileMissing(path.to_path_buf()));
            }
            Err(e) => return Err(io(e)),
        };
        let file_len = file.metadata().map_err(io)?.len();
        let mut reader = BufReader::new(file);
        let mut magic = [0u8; 4];
        if file_len < 4 || reader.read_exact(&mut magic).is_err() || &magic != GGUF_MAGIC {
            return Err(LlmError::NotGguf(path.to_path_buf()));
        }
        reader.seek(SeekFrom::Start(0)).map_err(io)?;
        // candle divides by `general.alignment` without checking it: a file saying 0 would
        // take the process down. The panic is contained and reported as an invalid header.
        let parsed =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Content::read(&mut reader)));
        let content = match parsed {
            Ok(Ok(content)) => content,
            // A header cut short reads as an I/O end-of-file inside candle.
            Ok(Err(e)) => {
                return Err(LlmError::InvalidGguf {
                    path: path.to_path_buf(),
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(LlmError::InvalidGguf {
                    path: path.to_path_buf(),
                    reason: "header rejected by the parser (general.alignment = 0?)".into(),
                });
            }
        };
        // Shapes and offsets come from the file: computed with checked arithmetic, so that a
        // hostile header is refused instead of overflowing (found by fuzzing).
        let tensor_end = |info: &candle_core::quantized::gguf_file::TensorInfo| -> Option<u64> {
            let elems = info
                .shape
                .dims()
                .iter()
                .try_fold(1u64, |acc, &d| acc.checked_mul(d as u64))?;
            let block = (info.ggml_dtype.block_size() as u64).max(1);
            let bytes = (elems / block).checked_mul(info.ggml_dtype.type_size() as u64)?;
            content
                .tensor_data_offset
                .checked_add(info.offset)?
                .checked_add(bytes)
        };
        let mut expected = content.tensor_data_offset;
        for info in content.tensor_infos.values() {
            let end = tensor_end(info).ok_or_else(|| LlmError::InvalidGguf {
                path: path.to_path_buf(),
                reason: "tensor size or offset overflows".into(),
            })?;
            expected = expected.max(end);
        }
        if expected > file_len {
            return Err(LlmError::Truncated {
                path: path.to_path_buf(),
                expected,
                actual: file_len,
            });
        }
        let arch_name = match content.metadata.get("general.architecture") {
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(LlmError::Metadata {
                    key: "general.architecture".into(),
                    reason: "missing".into(),
                });
            }
        };
        let architecture = Architecture::parse(&arch_name)?;
        Ok(Self {
            path: path.to_path_buf(),
            content,
            reader,
            architecture,
        })
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The architecture named by the metadata.
    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// Raw metadata value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    /// A required metadata value.
    pub fn require(&self, key: &str) -> Result<&Value, LlmError> {
        self.get(key).ok_or_else(|| LlmError::Metadata {
            key: key.to_string(),
            reason: "missing".into(),
        })
    }

    /// A required unsigned integer (any integer width).
    pub fn u32(&self, key: &str) -> Result<u32, LlmError> {
        let v = self.require(key)?;
        value_u32(v).ok_or_else(|| bad_type(key, "an integer"))
    }

    /// An optional unsigned integer.
    pub fn opt_u32(&self, key: &str) -> Option<u32> {
        self.get(key).and_then(value_u32)
    }

    /// An optional float.
    pub fn opt_f32(&self, key: &str) -> Option<f32> {
        match self.get(key)? {
            Value::F32(x) => Some(*x),
            Value::F64(x) => Some(*x as f32),
            _ => None,
        }
    }

    /// An optional boolean.
    pub fn opt_bool(&self, key: &str) -> Option<bool> {
        match self.get(key)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// An optional string.
    pub fn opt_str(&self, key: &str) -> Option<&str> {
        match self.get(key)? {
            Value::String(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// A required array of strings.
    pub fn strings(&self, key: &str) -> Result<Vec<&str>, LlmError> {
        match self.require(key)? {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.as_str()),
                    _ => Err(bad_type(key, "an array of strings")),
                })
                .collect(),
            _ => Err(bad_type(key, "an array of strings")),
        }
    }

    /// An optional array of integers.
    pub fn opt_ints(&self, key: &str) -> Option<Vec<i64>> {
        match self.get(key)? {
            Value::Array(items) => items.iter().map(value_i64).collect(),
            _ => None,
        }
    }

    /// An optional array of floats.
    pub fn opt_floats(&self, key: &str) -> Option<Vec<f32>> {
        match self.get(key)? {
            Value::Array(items) => items
                .iter()
                .map(|v| match v {
                    Value::F32(x) => Some(*x),
                    Value::F64(x) => Some(*x as f32),
                    _ => None,
                })
                .collect(),
            _ => None,
        }
    }

    /// Whether the file holds a tensor of that name.
    pub fn has_tensor(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    /// Reads one tensor.
    pub fn tensor(&mut self, name: &str, device: &Device) -> Result<QTensor, LlmError> {
        if !self.has_tensor(name) {
            return Err(LlmError::InvalidGguf {
                path: self.path.clone(),
                reason: format!("tensor {name} is missing"),
            });
        }
        self.content
            .tensor(&mut self.reader, name, device)
            .map_err(|e| LlmError::InvalidGguf {
                path: self.path.clone(),
                reason: format!("tensor {name}: {e}"),
            })
    }
}

fn value_u32(v: &Value) -> Option<u32> {
    value_i64(v).and_then(|x| u32::try_from(x).ok())
}

fn value_i64(v: &Value) -> Option<i64> {
    Some(match v {
        Value::U8(x) => i64::from(*x),
        Value::I8(x) => i64::from(*x),
        Value::U16(x) => i64::from(*x),
        Value::I16(x) => i64::from(*x),
        Value::U32(x) => i64::from(*x),
        Value::I32(x) => i64::from(*x),
        Value::U64(x) => i64::try_from(*x).ok()?,
        Value::I64(x) => *x,
        _ => return None,
    })
}

fn bad_type(key: &str, wanted: &str) -> LlmError {
    LlmError::Metadata {
        key: key.to_string(),
        reason: format!("expected {wanted}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GGUF header with no tensors and the given metadata (key, type 4 = u32, value).
    fn header(metadata: &[(&str, u32)]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend(0u64.to_le_bytes());
        out.extend((metadata.len() as u64).to_le_bytes());
        for (key, value) in metadata {
            out.extend((key.len() as u64).to_le_bytes());
            out.extend(key.as_bytes());
            out.extend(4u32.to_le_bytes());
            out.extend(value.to_le_bytes());
        }
        out
    }

    #[test]
    fn an_alignment_of_zero_is_an_invalid_header_not_a_panic() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = tmp.path().join("zero.gguf");
        std::fs::write(&path, header(&[("general.alignment", 0)]))
            .unwrap_or_else(|e| panic!("{e}"));
        match GgufFile::open(&path) {
            Err(e @ LlmError::InvalidGguf { .. }) => {
                assert!(e.message_fr().contains("en-tête GGUF invalide"))
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a GGUF with general.alignment = 0 was opened"),
        }
        // The same header with a sane alignment gets past the parser (and stops, later, at
        // the tensor data or the architecture it lacks).
        std::fs::write(&path, header(&[("general.alignment", 32)]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            GgufFile::open(&path),
            Err(LlmError::Truncated { .. } | LlmError::Metadata { .. })
        ));
    }
}
