// This file is part of the opencv_zsl module (cv::zsl).
// SAE: Kodirov, Xiang & Gong, "Semantic Autoencoder for Zero-Shot Learning", CVPR 2017.
#include "precomp.hpp"
#include "methods/compatibility_model.hpp"
#include "methods/closed_form.hpp"
#include <Eigen/Eigenvalues>

#ifdef ZSL_HAVE_LAPACK
extern "C" {
void dsytrd_(const char* uplo, const int* n, double* a, const int* lda, double* d, double* e, double* tau,
             double* work, const int* lwork, int* info);
void dormtr_(const char* side, const char* uplo, const char* trans, const int* m, const int* n, const double* a,
             const int* lda, const double* tau, double* c, const int* ldc, double* work, const int* lwork, int* info);
}
#endif

namespace cv {
namespace zsl {
namespace detail {

/** G = Q T Q^T for a symmetric G, T tridiagonal. Eigen's reduction is unblocked (memory-bound rank-2
    updates); LAPACK's dsytrd, when the BLAS backend carries it, does half of the work as GEMM. */
class TridiagonalForm
{
public:
    explicit TridiagonalForm(Eigen::MatrixXd G)
    {
#ifdef ZSL_HAVE_LAPACK
        a_ = std::move(G);
        n_ = (int)a_.rows();
        diag_.resize(n_);
        sub_.resize(std::max(n_ - 1, 1));
        tau_.resize(std::max(n_ - 1, 1));
        int lwork = -1, info = 0;
        double query = 0;
        dsytrd_("L", &n_, a_.data(), &n_, diag_.data(), sub_.data(), tau_.data(), &query, &lwork, &info);
        lwork = std::max((int)query, 1);
        std::vector<double> work(lwork);
        dsytrd_("L", &n_, a_.data(), &n_, diag_.data(), sub_.data(), tau_.data(), work.data(), &lwork, &info);
        if (info != 0)
            CV_Error(Error::StsError, cv::format("zsl SAE: LAPACK dsytrd failed (info = %d)", info));
        sub_.conservativeResize(n_ - 1);
#else
        eigen_.compute(G);
        diag_ = eigen_.diagonal();
        sub_ = eigen_.subDiagonal();
#endif
    }

    const Eigen::VectorXd& diagonal() const { return diag_; }
    const Eigen::VectorXd& subDiagonal() const { return sub_; }

    //! B <- Q B (transpose = false) or Q^T B (transpose = true); B has n rows.
    void applyQ(Eigen::MatrixXd& B, bool transpose) const
    {
#ifdef ZSL_HAVE_LAPACK
        const int cols = (int)B.cols();
        int lwork = -1, info = 0;
        double query = 0;
        const char* trans = transpose ? "T" : "N";
        dormtr_("L", "L", trans, &n_, &cols, a_.data(), &n_, tau_.data(), B.data(), &n_, &query, &lwork, &info);
        lwork = std::max((int)query, 1);
        std::vector<double> work(lwork);
        dormtr_("L", "L", trans, &n_, &cols, a_.data(), &n_, tau_.data(), B.data(), &n_, work.data(), &lwork, &info);
        if (info != 0)
            CV_Error(Error::StsError, cv::format("zsl SAE: LAPACK dormtr failed (info = %d)", info));
#else
        if (transpose)
            B = eigen_.matrixQ().transpose() * B;
        else
            B = eigen_.matrixQ() * B;
#endif
    }

private:
    Eigen::VectorXd diag_, sub_;
#ifdef ZSL_HAVE_LAPACK
    Eigen::MatrixXd a_; // Householder vectors below the subdiagonal
    Eigen::VectorXd tau_;
    int n_ = 0;
#else
    Eigen::Tridiagonalization<Eigen::MatrixXd> eigen_;
#endif
};

/** Linear autoencoder whose code is the semantic space: encoder W (A x D), decoder W^T.
    Minimising ||X - W^T S||^2 + lambda ||W X - S||^2 (X: D x N features, S: A x N prototype of each
    sample's class) gives the Sylvester equation
        S S^T W + lambda W X X^T = (1 + lambda) S X^T.
    It is solved in the eigenbasis U of the small A x A matrix S S^T (diagonal, da) and the
    tridiagonal basis Q of the D x D matrix X X^T = Q T Q^T (the Hessenberg-Schur form of
    Golub, Nash & Van Loan 1979, which for symmetric matrices is Bartels-Stewart without the costly
    eigenvectors of the large side): with W = U Z Q^T each row of Z solves a shifted tridiagonal
    system (da_i I + lambda T) z_i = (U^T C Q)_i. */
class SaeModel CV_FINAL : public CompatibilityModel
{
public:
    explicit SaeModel(const ZeroShotClassifier::Params& p) : lambda_(p.saeLambda), direction_(p.saeDirection) {}

    int method() const CV_OVERRIDE { return ZeroShotClassifier::SAE; }

    void train(const RowRefXf& X, const std::vector<int>& y, const RowMatrixXf& S,
               const ProgressCallback&) CV_OVERRIDE
    {
        ClosedFormStatistics stats((int)X.cols(), (int)S.rows());
        stats.add(X, y);
        trainFromStatistics(std::move(stats), S);
    }

    void trainFromStatistics(ClosedFormStatistics stats, const RowMatrixXf& S) CV_OVERRIDE
    {
        CV_Assert(stats.numClasses() == S.rows());
        const Eigen::Index D = stats.featureDim(), A = S.cols();
        // Per-sample prototypes repeat the class ones, so S S^T and S X^T reduce to class statistics:
        // S S^T = Sc^T diag(n) Sc, S X^T = Sc^T (class sums).
        const Eigen::MatrixXd Sc = S.cast<double>();
        const Eigen::VectorXd& counts = stats.counts;
        const Eigen::MatrixXd SSt = Sc.transpose() * counts.asDiagonal() * Sc;                    // A x A
        const Eigen::MatrixXd rhs = (1.0 + lambda_) * Sc.transpose() * stats.classSums;           // A x D

        Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> small(SSt);
        if (small.info() != Eigen::Success)
            CV_Error(Error::StsError, "zsl SAE: eigendecomposition of S S^T failed");
        const TridiagonalForm large(std::move(stats.gram));
        const Eigen::VectorXd& diag = large.diagonal();
        const Eigen::VectorXd& sub = large.subDiagonal();

        // Rhs in the two bases: U^T C Q, as (Q^T (U^T C)^T)^T.
        Eigen::MatrixXd rotatedT = (small.eigenvectors().transpose() * rhs).transpose();         // D x A
        large.applyQ(rotatedT, true);

        // Directions where S S^T vanishes (A exceeds the rank of the seen prototypes) have a zero rhs in
        // exact arithmetic: S S^T u = 0 implies Sc u = 0. Setting them to zero keeps the solution finite
        // when X X^T is singular too (fewer samples than feature dimensions).
        const Eigen::VectorXd& da = small.eigenvalues();
        const double tolerance = da.cwiseAbs().maxCoeff() * (double)A * std::numeric_limits<double>::epsilon();
        Eigen::VectorXd pivots(D);
        for (Eigen::Index i = 0; i < A; i++)
        {
            if (da[i] <= tolerance)
            {
                rotatedT.col(i).setZero();
                continue;
            }
            // (da_i I + lambda T) z = r: T is positive semi-definite, so the shifted matrix is positive
            // definite and Gaussian elimination without pivoting (Thomas algorithm) is backward stable.
            double* r = rotatedT.col(i).data();
            pivots[0] = da[i] + lambda_ * diag[0];
            for (Eigen::Index k = 1; k < D; k++)
            {
                const double l = lambda_ * sub[k - 1] / pivots[k - 1];
                pivots[k] = da[i] + lambda_ * diag[k] - l * lambda_ * sub[k - 1];
                r[k] -= l * r[k - 1];
            }
            if (!(pivots.minCoeff() > 0))
                CV_Error(Error::StsError, "zsl SAE: the Sylvester equation is singular (increase saeLambda or add samples)");
            r[D - 1] /= pivots[D - 1];
            for (Eigen::Index k = D - 2; k >= 0; k--)
                r[k] = (r[k] - lambda_ * sub[k] * r[k + 1]) / pivots[k];
        }
        // W^T = Q Z^T U^T.
        large.applyQ(rotatedT, false);
        const Eigen::MatrixXd Wt = rotatedT * small.eigenvectors().transpose();                  // D x A
        W_ = Wt.transpose().cast<float>();
        if (!W_.allFinite())
            CV_Error(Error::StsError, "zsl SAE: training produced non-finite weights (increase saeLambda)");
    }

    RowMatrixXf scores(const RowRefXf& X, const RowMatrixXf& P) const CV_OVERRIDE
    {
        if (direction_ == ZeroShotClassifier::SAE_SEMANTIC_SPACE)
        {
            RowMatrixXf protos = P;
            normalizeRows(protos);
            // Cosine between the encoded feature W x and each prototype.
            RowMatrixXf codes = matrixProduct(X, W_.transpose());                               // N x A
            normalizeRows(codes);
            return matrixProduct(codes, protos.transpose());
        }
        // Cosine between each feature and the decoded prototypes W^T s.
        RowMatrixXf decoded = matrixProduct(P, W_);                                              // C x D
        normalizeRows(decoded);
        RowMatrixXf out = matrixProduct(X, decoded.transpose());                                // N x C
        out.array().colwise() /= X.rowwise().norm().array().max(std::numeric_limits<float>::min());
        return out;
    }

    RowMatrixXf embed(const RowRefXf& X) const CV_OVERRIDE { return matrixProduct(X, W_.transpose()); }
    bool linearInFeatures() const CV_OVERRIDE { return true; }

    int featureDim() const CV_OVERRIDE { return (int)W_.cols(); }
    int prototypeDim() const CV_OVERRIDE { return (int)W_.rows(); }

    void write(FileStorage& fs) const CV_OVERRIDE
    {
        fs << "method" << "SAE";
        writeMatrix(fs, "W", W_);
    }

    void read(const FileNode& node) CV_OVERRIDE
    {
        String m;
        node["method"] >> m;
        if (m != "SAE")
            CV_Error(Error::StsParseError, cv::format("zsl model: model section is '%s', expected SAE", m.c_str()));
        W_ = readMatrix(node, "W");
    }

private:
    double lambda_;
    int direction_;
    RowMatrixXf W_; // A x D encoder; its transpose is the decoder
};

std::shared_ptr<CompatibilityModel> createSaeModel(const ZeroShotClassifier::Params& params)
{
    return std::make_shared<SaeModel>(params);
}

}}} // namespace cv::zsl::detail
