"""Save a tiny, randomly initialised w2v-BERT 2.0 encoder (and its feature extractor) to a folder.

The Hugging Face hub is out of reach here, so this stands in for `facebook/w2v-bert-2.0` in smoke
runs of the `hf:` tokenizer path: same architecture and preprocessing, 2 layers of width 64.

    python scripts/tiny_hf_encoder.py runs/tiny-w2v-bert
    audiopalm tokenizer train --data data/babel-small --encoder hf:runs/tiny-w2v-bert --out runs/tok-hf
"""

import sys

import torch
from transformers import SeamlessM4TFeatureExtractor, Wav2Vec2BertConfig, Wav2Vec2BertModel


def main(out: str) -> None:
    torch.manual_seed(0)
    config = Wav2Vec2BertConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
                                feature_projection_input_dim=160, conv_depthwise_kernel_size=5)
    Wav2Vec2BertModel(config).save_pretrained(out)
    SeamlessM4TFeatureExtractor(feature_size=80, num_mel_bins=80).save_pretrained(out)
    print(f"tiny random w2v-BERT 2.0 saved to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/tiny-w2v-bert")
