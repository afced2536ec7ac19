from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404

from leadflow.accounts.scope import visible_to
from leadflow.core.exports import export_response
from tests.scoped_app.models import Memo


@login_required
def memo_list(request):
    memos = visible_to(request.user, Memo.objects.order_by("id"))
    if request.GET.get("export"):
        return export_response(
            user=request.user,
            name="memos",
            fmt=request.GET["export"],
            headers=["id", "title"],
            rows=([m.pk, m.title] for m in memos),
        )
    return HttpResponse("\n".join(memo.title for memo in memos))


@login_required
def memo_detail(request, memo_id: int):
    memo = get_object_or_404(visible_to(request.user, Memo.objects.all()), pk=memo_id)
    return HttpResponse(memo.title)
