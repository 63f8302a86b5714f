/// <summary>
/// The first failure of any part of a storm. The toolstack only waits for states, so a
/// backend or frontend task that fails would otherwise leave it waiting for ever.
/// </summary>
internal sealed class StormFailure
{
    private readonly TaskCompletionSource failed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes (faulted) when the first watched task fails.</summary>
    public Task Failed => failed.Task;

    /// <summary>Runs <paramref name="task"/> to its end, recording its failure.</summary>
    public async Task Watch(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e)
        {
            failed.TrySetException(e);
            throw;
        }
    }
}
