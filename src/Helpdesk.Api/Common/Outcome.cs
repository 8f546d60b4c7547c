using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Mvc;

namespace Helpdesk.Api.Common;

/// <summary>
/// What a command came to: its value, or the problem that refused it (a 4xx answer with its
/// problem+json body). Services return outcomes; endpoints turn them into HTTP results.
/// </summary>
public readonly struct Outcome<T>
{
    private Outcome(T? value, ProblemDetails? problem)
    {
        Value = value;
        Problem = problem;
    }

    public T? Value { get; }

    public ProblemDetails? Problem { get; }

    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Problem))]
    public bool Succeeded => Problem is null;

    public static implicit operator Outcome<T>(T value) => new(value, null);

    public static implicit operator Outcome<T>(ProblemDetails problem) => new(default, problem);

    public Outcome<TOut> Map<TOut>(Func<T, TOut> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return Succeeded ? map(Value) : Problem;
    }

    /// <summary>The HTTP answer: <paramref name="answer"/> of the value, or the problem+json of the refusal.</summary>
    public IResult ToResult(Func<T, IResult> answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        return Succeeded ? answer(Value) : TypedResults.Problem(Problem);
    }
}
