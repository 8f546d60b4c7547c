using System.Globalization;
using System.Text.Json;
using Helpdesk.Domain.Work;

namespace Helpdesk.Domain.Tests.Work;

public sealed class MoneyScaleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2.5", "10", "EUR", "25.00")]
    [InlineData("2", "30.00", "EUR", "60.00")]
    [InlineData("3", "19.999", "EUR", "60.00")]
    [InlineData("1", "7", "EUR", "7.00")]
    [InlineData("2.5", "101", "JPY", "253")]
    [InlineData("1", "2", "KWD", "2.000")]
    public void A_line_amount_carries_exactly_the_currencys_minor_unit(string quantity, string unitPrice, string currency, string expected)
    {
        var line = CostLine.Add("cl_1", "t_1", "agt_ada", CostLineKind.Expense, "Travel", Dec(quantity), Dec(unitPrice), currency, billable: true, new DateOnly(2026, 3, 2), T0);

        line.Amount.ToString(CultureInfo.InvariantCulture).ShouldBe(expected);
    }

    [Fact]
    public void Totals_carry_the_minor_unit_even_when_nothing_is_billable()
    {
        var line = CostLine.Add("cl_1", "t_1", "agt_ada", CostLineKind.Product, "Cable", 2.5m, 10m, "EUR", billable: false, new DateOnly(2026, 3, 2), T0);

        var total = CostLine.Totals([line]).ShouldHaveSingleItem();

        total.Amount.ToString(CultureInfo.InvariantCulture).ShouldBe("25.00");
        total.BillableAmount.ToString(CultureInfo.InvariantCulture).ShouldBe("0.00");
    }

    [Fact]
    public void A_line_stored_with_the_calculations_scale_reads_back_at_the_minor_unit()
    {
        var line = CostLine.Add("cl_1", "t_1", "agt_ada", CostLineKind.Expense, "Travel", 2.5m, 10m, "EUR", billable: true, new DateOnly(2026, 3, 2), T0);
        var stored = JsonSerializer.SerializeToNode(line, JsonSerializerOptions.Web)!;
        stored["amount"] = 25.0m;

        stored.ToJsonString().ShouldNotContain("25.00");
        stored.Deserialize<CostLine>(JsonSerializerOptions.Web)!.Amount.ToString(CultureInfo.InvariantCulture).ShouldBe("25.00");
    }

    private static decimal Dec(string text) => decimal.Parse(text, CultureInfo.InvariantCulture);
}
