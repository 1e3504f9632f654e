"""The province's figures for 2020-02-01 to 2020-06-30 (the release's 4,142,710 service
items; resumption of industrial and foreign-trade enterprises)."""

from __future__ import annotations

ONLINE_ITEMS = 2_571_536
OFFLINE_ITEMS = 1_571_174
# Resumption "to date" (截至目前): resumed out of those required to, 98.6 % and 99.5 %.
INDUSTRIAL_RESUMED = (3_451, 3_500)  # 规模以上工业企业
FOREIGN_TRADE_RESUMED = (1_990, 2_000)  # 外贸企业
SERVICE_ITEMS_NOTE = "全省政务服务事项办理量（网上办理、线下办理），据各市地和省直部门报送汇总。"
INDUSTRIAL_NOTE = "全省规模以上工业企业复工情况，据省工业和信息化厅报送。"
FOREIGN_TRADE_NOTE = "全省外贸企业开复工情况，据省商务厅报送。"
