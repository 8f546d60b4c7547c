namespace Helpdesk.Domain.Common;

/// <summary>
/// A value the aggregate cannot hold (an empty subject, progress above 100). The API validates
/// requests first; this is the aggregate's own guard, reported as a 400 naming the field.
/// </summary>
public sealed class DomainValidationException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
