from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from leadflow.accounts.scope import visible_to
from tests.scoped_app.models import Memo

router = Router()


class MemoOut(Schema):
    id: int
    title: str


@router.get("", response=list[MemoOut])
def memos(request):
    return visible_to(request.user, Memo.objects.order_by("id"))


@router.get("/{memo_id}", response=MemoOut)
def memo(request, memo_id: int):
    return get_object_or_404(visible_to(request.user, Memo.objects.all()), pk=memo_id)
