import FileSupport
import Foundation
import PowderDiffraction
import Refinement
import RietveldIO

/// A recipe resolved against a model: starting values set, bounds and excluded regions in the settings, and
/// the stages (the default strategy when the recipe has none). Unknown or ambiguous parameter names, starts
/// outside their bounds and impossible values end with the recipe file, its line and the name.
public enum RecipePlan {
    public static func apply(_ recipe: Recipe, to setup: inout RefinementSetup) throws(FileError) -> [RefinementStage] {
        let file = recipe.file
        func resolve(_ n: Recipe.Name) throws(FileError) -> [ModelParameter] {
            do { return try ParameterSelector.resolve(n.text, in: setup.model) } catch {
                throw .malformed(file: file, line: n.line, error.description)
            }
        }
        for b in recipe.bounds { for p in try resolve(b.name) { setup.settings.bounds[p] = b.range } }
        for s in recipe.start {
            for p in try resolve(s.name) {
                let bounds = setup.settings.bounds(of: p)
                guard bounds.contains(s.value) else {
                    throw .malformed(file: file, line: s.name.line, "start value \(EsdFormat.plain(s.value)) of '\(s.name.text)' lies outside its bounds \(EsdFormat.plain(bounds.lowerBound))…\(EsdFormat.plain(bounds.upperBound))")
                }
                do { try setup.model.setValue(s.value, for: p) } catch {
                    throw .malformed(file: file, line: s.name.line, "start value \(s.value) for '\(s.name.text)': \(error)")
                }
            }
        }
        setup.settings.excludedRegions = recipe.excluded
        if let w = recipe.peakWindow { setup.model.setPeakWindow(w) }
        guard !recipe.stages.isEmpty else {
            return DefaultStrategy.stages(for: setup.model, backgroundTerms: setup.model.background.coefficients.count)
        }
        var out: [RefinementStage] = []
        for s in recipe.stages {
            var params: [ModelParameter] = []
            for n in s.refine { for p in try resolve(n) where !params.contains(p) { params.append(p) } }
            let stage: RefinementStage
            if s.broaden {
                stage = .broadened(name: s.name, parameters: params, wavelength: setup.model.instrument.radiation.wavelength,
                                   twoThetaMax: s.twoThetaMax ?? DefaultStrategy.broadenedTwoThetaMax, maximumIterations: s.maxCycles)
            } else {
                stage = RefinementStage(name: s.name, parameters: params, twoThetaMax: s.twoThetaMax, maximumIterations: s.maxCycles, isPreliminary: true)
            }
            out.append(stage)
        }
        out[out.count - 1].isPreliminary = false
        return out
    }
}
