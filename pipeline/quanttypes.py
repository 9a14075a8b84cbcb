"""llama.cpp's quantization types: the one table a manifest's `quantization` is checked against
and a card's description of a quantization is made from.

Source: llama.cpp's `tools/quantize/quantize.cpp`, the `QUANT_OPTIONS` list that
`llama-quantize --help` prints as "allowed quantization types" (github.com/ggml-org/llama.cpp,
read at commit 03161a4eb9a2). The bits per weight are that list's own figure where it gives one
("4.50 bpw"); where it gives the file size of Llama-3-8B instead ("4.58G"), they are that size in
GiB times 2**30 * 8 bits over Llama-3-8B's 8.03 billion parameters, to one decimal. Aliases
(`Q4_K` for `Q4_K_M`) and `COPY` are left out: a repo names the type it holds. MXFP4_MOE, which
the list gives no figure for, has the MXFP4 block format's 4.25 bits per weight.
"""

from __future__ import annotations

from dataclasses import dataclass

SOURCE = "the QUANT_OPTIONS list of llama.cpp's tools/quantize/quantize.cpp"

# The width of the weights a quantization is measured against: the parent's 16-bit weights.
PARENT_BITS = 16.0


@dataclass(frozen=True)
class QuantType:
    name: str
    bits_per_weight: float

    @property
    def share_of_parent(self) -> float:
        """The file's size as a share of the 16-bit model's (0.31 for Q4_K_M)."""
        return self.bits_per_weight / PARENT_BITS


_BPW: dict[str, float] = {
    "Q1_0": 1.1,
    "Q2_0": 2.3,
    "Q4_0": 4.6,
    "Q4_1": 5.1,
    "MXFP4_MOE": 4.3,
    "Q5_0": 5.6,
    "Q5_1": 6.0,
    "IQ2_XXS": 2.1,
    "IQ2_XS": 2.3,
    "IQ2_S": 2.5,
    "IQ2_M": 2.7,
    "IQ1_S": 1.6,
    "IQ1_M": 1.8,
    "TQ1_0": 1.7,
    "TQ2_0": 2.1,
    "Q2_K": 3.2,
    "Q2_K_S": 3.2,
    "IQ3_XXS": 3.1,
    "IQ3_S": 3.4,
    "IQ3_M": 3.7,
    "IQ3_XS": 3.3,
    "Q3_K_S": 3.6,
    "Q3_K_M": 4.0,
    "Q3_K_L": 4.3,
    "IQ4_NL": 4.5,
    "IQ4_XS": 4.3,
    "Q4_K_S": 4.7,
    "Q4_K_M": 4.9,
    "Q5_K_S": 5.6,
    "Q5_K_M": 5.7,
    "Q6_K": 6.6,
    "Q8_0": 8.5,
    "F16": 16.0,
    "BF16": 16.0,
    "F32": 32.0,
}

TYPES: dict[str, QuantType] = {name: QuantType(name, bpw) for name, bpw in _BPW.items()}


def quant_type(name: str) -> QuantType | None:
    """The type of that exact name (llama.cpp's spelling, capitals), or None."""
    return TYPES.get(name)


def suffix_type(repo_name: str) -> str | None:
    """The type a repo name declares as `...-<TYPE>-GGUF` (any case), in llama.cpp's spelling;
    None when the name declares none."""
    upper = repo_name.upper()
    if not upper.endswith("-GGUF"):
        return None
    stem = upper.removesuffix("-GGUF")
    found = [name for name in TYPES if stem.endswith("-" + name)]
    return max(found, key=len) if found else None
