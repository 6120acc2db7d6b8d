"""Prompt formats: the R1-Zero template as raw text or inside the policy's chat template, and the
check that refuses chat templates which pre-fill or strip the tags (issue 13, item 2)."""

import pytest

from r1lib.core.profile import Profile
from r1lib.engine import backends
from r1lib.recipe import models, templates
from r1lib.recipe.rewards import format_ok
from r1lib.recipe.templates import ChatTemplateError, check_chat_template, make_prompt

# ChatML as SmolLM2 / Qwen2 write it
CHATML = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
          "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
# R1-Distill's pitfalls: a pre-filled <think>, and assistant turns cut to what follows </think>
PREFILL = CHATML.replace("<|im_start|>assistant\n{% endif %}", "<|im_start|>assistant\n<think>\n{% endif %}")
STRIP = CHATML.replace("{{ m['content'] }}", "{{ m['content'].split('</think>')[-1] }}")


@pytest.fixture(scope="module")
def tok():
    return models.train_tokenizer(["User: 2+3? Assistant: <think> 2+3=5 </think> <answer> 5 </answer>"] * 20, 300)


@pytest.fixture
def chat_profile():
    prev = backends.current()
    backends.use(Profile.model_validate({"name": "t", "model": {"base": "some/instruct", "template": "chat"}}))
    yield
    backends._CURRENT = prev
    templates.use_chat_tokenizer(None)


def test_r1_zero_is_table_1_as_raw_text():
    p = make_prompt("What is 2+3?")
    assert p.startswith("A conversation between User and Assistant.") and p.endswith("User: What is 2+3?. Assistant:")
    assert make_prompt("What is 2+3?", "r1_zero") == p  # outside a stage the format is r1_zero
    with pytest.raises(KeyError, match="chat"):
        make_prompt("x", "alpaca")


def test_chat_format_puts_the_instruction_in_the_system_turn(tok, chat_profile):
    tok.chat_template = CHATML
    with pytest.raises(ChatTemplateError, match="load the policy"):
        make_prompt("What is 2+3?")  # no tokenizer registered yet
    check_chat_template(tok)
    templates.use_chat_tokenizer(tok)
    p = make_prompt("What is 2+3?")
    assert p == ("<|im_start|>system\n" + templates.CHAT_SYSTEM + "<|im_end|>\n"
                 "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n")
    assert "User: What is 2+3?" not in p and templates.CHAT_SYSTEM.endswith("<answer> answer here </answer>.")
    # a completion the format reward accepts follows the assistant header unchanged
    assert format_ok("<think> 2+3=5 </think> <answer> 5 </answer>")


@pytest.mark.parametrize("template, message", [(None, "has no chat template"), (PREFILL, r"pre-fills \['<think>'\]"),
                                               (STRIP, r"strips \['<think>', '</think>'\]")])
def test_chat_templates_that_break_the_format_are_refused(tok, template, message):
    tok.chat_template = template
    with pytest.raises(ChatTemplateError, match=message) as e:
        check_chat_template(tok, name="deepseek-ai/R1-Distill-like")
    assert "model.template: r1_zero" in str(e.value) and "R1-Distill-like" in str(e.value)


def test_chat_needs_a_pretrained_base():
    with pytest.raises(ValueError, match="model.template: chat needs a pretrained base"):
        Profile.model_validate({"name": "t", "model": {"template": "chat"}})
