namespace Helpdesk.Domain.Common;

/// <summary>
/// A business rule refused the change. The code is stable and becomes part of the
/// problem type the API returns (409), so front ends can react to it without parsing text.
/// </summary>
public class DomainRuleException(string code, string message) : Exception(message)
{
    public string Code { get; } = code;
}
