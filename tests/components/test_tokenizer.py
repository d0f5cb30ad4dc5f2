from assistant.components.tokenizer import ChineseTokenizer


def test_user_words_stay_whole_and_stopwords_go() -> None:
    tokenizer = ChineseTokenizer(user_words=["自动体外除颤仪", "幼托机构"])
    tokens = tokenizer.tokenize("幼托机构应当配置自动体外除颤仪吗？")
    assert "自动体外除颤仪" in tokens
    assert "幼托机构" in tokens
    assert "吗" not in tokens and "应当" not in tokens


def test_ascii_and_digits_are_kept_lowercased() -> None:
    tokens = ChineseTokenizer().tokenize("AED 放在哪里，打120")
    assert "aed" in tokens and "120" in tokens


def test_same_text_same_tokens() -> None:
    tokenizer = ChineseTokenizer()
    text = "台风红色预警发布后，居民委员会应当组织转移。"
    assert tokenizer.tokenize(text) == tokenizer.tokenize(text)
