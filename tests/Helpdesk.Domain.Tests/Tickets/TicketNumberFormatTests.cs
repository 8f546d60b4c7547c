using Helpdesk.Domain.Common;
using Helpdesk.Domain.Tickets;

namespace Helpdesk.Domain.Tests.Tickets;

public sealed class TicketNumberFormatTests
{
    private static readonly DateTimeOffset In2026 = new(2026, 12, 31, 23, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_yearly_sequence_puts_the_year_in_the_number_and_in_the_counter_key()
    {
        var format = new TicketNumberFormat("HD", 5, yearlyReset: true);

        format.Format(In2026, 42).ShouldBe("HD-2026-00042");
        format.SequenceKey(In2026).ShouldBe("HD-2026");
        format.SequenceKey(In2026.AddHours(2)).ShouldBe("HD-2027");
    }

    [Fact]
    public void A_continuous_sequence_never_resets()
    {
        var format = new TicketNumberFormat("SUP", 7, yearlyReset: false);

        format.Format(In2026, 42).ShouldBe("SUP-0000042");
        format.SequenceKey(In2026).ShouldBe(format.SequenceKey(In2026.AddYears(3)));
    }

    [Fact]
    public void A_counter_wider_than_the_padding_is_not_cut()
    {
        new TicketNumberFormat("HD", 2, false).Format(In2026, 12345).ShouldBe("HD-12345");
    }

    [Theory]
    [InlineData("", 5)]
    [InlineData("HD 1", 5)]
    [InlineData("ABCDEFGHIJKLMNOPQ", 5)]
    [InlineData("HD", 0)]
    [InlineData("HD", 13)]
    public void Nonsense_formats_are_refused(string prefix, int padding)
    {
        Should.Throw<DomainValidationException>(() => new TicketNumberFormat(prefix, padding, true));
    }
}
