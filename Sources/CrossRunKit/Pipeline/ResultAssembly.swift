import Foundation

extension RunResult.Exit {
    init(_ outcome: ProcessOutcome) {
        switch outcome.status {
        case .exited(let code):
            self.init(status: code, code: code, signal: nil, signalName: nil, interruptedBy: nil, description: outcome.status.description)
        case .signaled(let signal):
            self.init(
                status: outcome.status.shellStatus, code: nil, signal: signal, signalName: Signals.name(signal),
                interruptedBy: nil, description: outcome.status.description)
        }
        interruptedBy = outcome.forwardedSignal.map(Signals.name)
    }
}
