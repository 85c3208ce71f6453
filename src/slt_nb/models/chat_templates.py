"""Explicit chat templates, each the model's own template plus ``{% generation %}`` markers.

Why explicit: with a video in the conversation, ``SmolVLMProcessor.apply_chat_template``
silently switches to its built-in template unless ``chat_template=`` is passed, and a template
without ``{% generation %}`` makes ``return_assistant_tokens_mask`` mask *everything* (loss 0.0,
no error; field-facts §5). Both templates below render exactly the string the official one
renders (tested against transformers' SmolVLM ``DEFAULT_CHAT_TEMPLATE``); only the markers are
new. The generation block covers the answer *and* the end-of-turn token, so the model learns
to stop; the newline after the end-of-turn token stays outside (it is never generated).

SmolVLM2 renders ``User: <video>prompt<end_of_utterance>\\nAssistant: answer<end_of_utterance>\\n``;
the generation prompt is ``Assistant:`` (no space), so the answer's first token carries the
leading space, as at inference.

Qwen2.5-VL renders ``<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n`` (inserted
when the first message is not a system message), then ``<|im_start|>user\\n<|vision_start|>
<|video_pad|><|vision_end|>prompt<|im_end|>\\n<|im_start|>assistant\\nanswer<|im_end|>\\n``.
"""

from __future__ import annotations

# SmolVLM2 (HuggingFaceTB/SmolVLM2-*): transformers 4.57.6 smolvlm/processing_smolvlm.py
# DEFAULT_CHAT_TEMPLATE ("the correct chat template to be used for videos after #38105"),
# restructured so the assistant's text + <end_of_utterance> sit inside {% generation %}.
SMOLVLM_CHAT_TEMPLATE = (
    "<|im_start|>"
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}"
    "{% for line in message['content'] %}"
    "{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}"
    "{% elif line['type'] == 'video' %}{{ '<video>' }}{% endif %}"
    "{% endfor %}"
    "<end_of_utterance>"
    "{% endgeneration %}"
    "{% else %}"
    "{% for line in message['content'] %}"
    "{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}"
    "{% elif line['type'] == 'video' %}{{ '<video>' }}{% endif %}"
    "{% endfor %}"
    "<end_of_utterance>"
    "{% endif %}"
    "{{ '\\n' }}"  # an expression, not a literal: transformers' jinja env has trim_blocks=True, which eats a newline after a tag
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

# Qwen2.5-VL (Qwen/Qwen2.5-VL-3B-Instruct chat_template.json), with {% generation %} around the
# assistant's content + <|im_end|>.
QWEN2_5_VL_CHAT_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}"
    "{% set video_count = namespace(value=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
    "{% endif %}"
    "<|im_start|>{{ message['role'] }}\n"
    "{% if message['role'] == 'assistant' %}"
    "{% generation %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "<|im_end|>"
    "{% endgeneration %}"
    "{% else %}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}"
    "{% for content in message['content'] %}"
    "{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}"
    "{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>"
    "{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}"
    "{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>"
    "{% elif 'text' in content %}{{ content['text'] }}"
    "{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "<|im_end|>"
    "{% endif %}"
    "{{ '\\n' }}"  # expression: trim_blocks=True would eat a literal newline after a tag
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)

# The official Qwen2.5-VL template verbatim (no markers), kept to test that ours renders the same.
QWEN2_5_VL_OFFICIAL_TEMPLATE = (
    "{% set image_count = namespace(value=0) %}{% set video_count = namespace(value=0) %}{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}"
    "<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
    "{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or 'image_url' in content %}"
    "{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}Picture {{ image_count.value }}: {% endif %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'video' or 'video' in content %}"
    "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video {{ video_count.value }}: {% endif %}"
    "<|vision_start|><|video_pad|><|vision_end|>{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}"
    "<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
