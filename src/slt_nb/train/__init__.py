"""Fine-tuning: prompts (Table 16), the video collator with answer-only labels, trainer settings."""
