from common.memo import BoundedMemo


def test_a_memo_never_holds_more_than_its_limit_and_keeps_the_newest():
    memo: BoundedMemo[int, str] = BoundedMemo(limit=3)
    for n in range(3):
        memo.keep(n, f"v{n}")
    assert memo == {0: "v0", 1: "v1", 2: "v2"}
    assert memo.keep(3, "v3") == "v3"
    assert memo == {3: "v3"}  # full: emptied, then the new one kept


def test_replacing_a_kept_key_does_not_empty_a_full_memo():
    memo: BoundedMemo[str, int] = BoundedMemo(limit=2)
    memo.keep("a", 1)
    memo.keep("b", 2)
    memo.keep("a", 10)
    assert memo == {"a": 10, "b": 2}
